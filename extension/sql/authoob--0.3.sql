/* authoob--0.3.sql: the install script of authoob 0.3 (docs/upgrades.md) */
--
-- Built by `make` from this template: each \ir line is replaced by the file
-- it names (extension/sql/, one file for each table and each function,
-- with its privileges).  The update scripts from earlier versions are
-- built the same way, and t/105 checks that an updated database has the
-- catalog this script makes.

\echo Use "CREATE EXTENSION authoob CASCADE" to load this file. \quit

\ir schema.sql

-- What the tables' triggers and rows call
\ir functions/authoob_invalidate_cache.sql
\ir functions/authoob_replace_on_insert.sql
\ir functions/authoob_signing_alg_changed.sql
\ir functions/authoob_hook_names.sql
\ir functions/authoob_new_user_uuid.sql
\ir functions/authoob_audit_user_event.sql

-- The tables, each before those that reference it
\ir tables/users.sql
\ir tables/roles.sql
\ir tables/roles_users.sql
\ir tables/sessions.sql
\ir tables/refresh_tokens.sql
\ir tables/mfa_factors.sql
\ir tables/mfa_challenges.sql
\ir tables/mfa_recovery_codes.sql
\ir tables/throttle.sql
\ir tables/previous_keys.sql
\ir tables/mail_tokens.sql
\ir tables/mail_outbox.sql
\ir tables/mail_requests.sql
\ir tables/mail_templates.sql
\ir rows/mail_templates_gotrue.sql
\ir rows/mail_templates_reauthentication.sql
\ir rows/mail_templates_magiclink.sql
\ir rows/mail_templates_email_change.sql
\ir tables/settings.sql
\ir tables/hook_names.sql
\ir tables/hooks.sql
\ir tables/user_fields.sql
\ir tables/signing_keys.sql
\ir tables/partition.sql
\ir gotrue/flow_states.sql
\ir tables/audit_log.sql

-- The functions written in C, then those in SQL (whose bodies are checked
-- when they are made: what they call comes first), then those in PL/pgSQL
\ir functions/authoob_aal.sql
\ir functions/authoob_activate.sql
\ir functions/authoob_activate_redirect.sql
\ir functions/authoob_activation_ask.sql
\ir functions/authoob_attempt.sql
\ir functions/authoob_attempt_outcome.sql
\ir functions/authoob_authenticate.sql
\ir functions/authoob_configure.sql
\ir functions/authoob_end_session.sql
\ir functions/authoob_login.sql
\ir functions/authoob_mfa_enroll.sql
\ir functions/authoob_mfa_factors.sql
\ir functions/authoob_mfa_recover.sql
\ir functions/authoob_mfa_unenroll.sql
\ir functions/authoob_mfa_verify.sql
\ir functions/authoob_logout.sql
\ir functions/authoob_logout_scope.sql
\ir functions/authoob_mail_prepare.sql
\ir functions/authoob_new_signing_key.sql
\ir functions/authoob_password_ask.sql
\ir functions/authoob_password_reset_token.sql
\ir functions/authoob_profile.sql
\ir functions/authoob_public_profile.sql
\ir functions/authoob_register.sql
\ir functions/authoob_reset_password.sql
\ir functions/authoob_rotate_secret.sql
\ir functions/authoob_sessions.sql
\ir functions/authoob_settings.sql
\ir functions/authoob_sign_in_request.sql
\ir functions/authoob_token.sql
\ir functions/authoob_token_grant.sql
\ir functions/authoob_token_request.sql
\ir functions/authoob_uid.sql
\ir functions/authoob_update_profile.sql
\ir functions/authoob_verify.sql
\ir functions/authoob_verify_headers.sql
\ir gotrue/authoob_activate_user.sql
\ir gotrue/authoob_activation_ask_for_flow.sql
\ir gotrue/authoob_check_client_throttle.sql
\ir gotrue/authoob_gotrue_challenge_factor.sql
\ir gotrue/authoob_gotrue_enroll_factor.sql
\ir gotrue/authoob_gotrue_user.sql
\ir gotrue/authoob_mfa_verify_challenge.sql
\ir gotrue/authoob_gotrue_user_json.sql
\ir gotrue/authoob_grant_session_of.sql
\ir gotrue/authoob_confirm_by_magic_link.sql
\ir gotrue/authoob_link_code.sql
\ir gotrue/authoob_password_ask_for_flow.sql
\ir gotrue/authoob_register_for_dialect.sql
\ir gotrue/authoob_spend_mail_code.sql
\ir gotrue/authoob_spend_reset_token.sql
\ir gotrue/authoob_count_sign_up.sql
\ir gotrue/authoob_mail_nonce.sql
\ir functions/authoob_clear_throttle.sql
\ir functions/authoob_metrics.sql
\ir functions/authoob_create_role.sql
\ir functions/authoob_custom_columns.sql
\ir functions/authoob_delete_role.sql
\ir functions/authoob_has_role.sql
\ir functions/authoob_hooks.sql
\ir functions/authoob_jwks.sql
\ir functions/authoob_mail_claim.sql
\ir functions/authoob_mail_done.sql
\ir functions/authoob_mail_release.sql
\ir functions/authoob_remove_field.sql
\ir functions/authoob_remove_hook.sql
\ir functions/authoob_revoke_role.sql
\ir functions/authoob_rotate_key.sql
\ir functions/authoob_user_roles.sql
\ir gotrue/authoob_gotrue_session.sql
\ir gotrue/authoob_gotrue_verify_factor.sql
\ir gotrue/authoob_gotrue_settings.sql
\ir gotrue/authoob_redirect_url.sql
\ir functions/authoob_add_field.sql
\ir functions/authoob_add_hook.sql
\ir functions/authoob_grant_role.sql
\ir functions/authoob_postgrest_pre_request.sql
\ir functions/authoob_housekeeping.sql
\ir functions/authoob_set_partition.sql
\ir functions/authoob_verify_role.sql
\ir gotrue/authoob_gotrue_body.sql
\ir gotrue/authoob_gotrue_mailed_user.sql
\ir gotrue/authoob_gotrue_not_built.sql
\ir gotrue/authoob_gotrue_pkce.sql
\ir gotrue/authoob_gotrue_recover.sql
\ir gotrue/authoob_gotrue_resend.sql
\ir gotrue/authoob_gotrue_signup.sql
\ir gotrue/authoob_gotrue_sign_in_anonymously.sql
\ir gotrue/authoob_gotrue_reauthenticate.sql
\ir gotrue/authoob_gotrue_update_user_request.sql
\ir functions/authoob_reset_password_request.sql
\ir gotrue/authoob_gotrue_start_flow.sql
\ir gotrue/authoob_gotrue_token.sql
\ir gotrue/authoob_gotrue_update_user.sql
\ir gotrue/authoob_gotrue_user_metadata.sql
\ir gotrue/authoob_gotrue_verify.sql
\ir gotrue/authoob_gotrue_verify_link.sql

-- The admin API (README "Supabase users"): its C functions, the SQL ones
-- they and the PL/pgSQL ones need, the owner's functions, then the
-- routes' (each checked when made: what it calls comes first)
\ir functions/authoob_service_token.sql
\ir gotrue/authoob_check_service_token.sql
\ir gotrue/authoob_admin_password_hash.sql
\ir functions/authoob_audit.sql
\ir gotrue/authoob_admin_user_json.sql
\ir gotrue/authoob_admin_ban_until.sql
\ir gotrue/authoob_admin_user_id.sql
\ir gotrue/authoob_admin_apply.sql
\ir gotrue/authoob_admin_create_user.sql
\ir gotrue/authoob_admin_update_user.sql
\ir gotrue/authoob_admin_delete_user.sql
\ir gotrue/authoob_admin_list_users.sql
\ir gotrue/authoob_admin_get_user.sql
\ir gotrue/authoob_gotrue_admin_create_user.sql
\ir gotrue/authoob_gotrue_admin_update_user.sql
\ir gotrue/authoob_gotrue_admin_delete_user.sql
\ir gotrue/authoob_gotrue_admin_user.sql
\ir gotrue/authoob_gotrue_admin_users.sql
\ir gotrue/authoob_admin_list_factors.sql
\ir gotrue/authoob_admin_delete_factor.sql
\ir gotrue/authoob_gotrue_admin_factors.sql
\ir gotrue/authoob_gotrue_admin_delete_factor.sql
-- the import of a Supabase project's users (owner only)
\ir gotrue/authoob_import_supabase.sql
\ir gotrue/authoob_gotrue_mail_link.sql
\ir gotrue/authoob_admin_link_user.sql
\ir gotrue/authoob_admin_invite_user.sql
\ir gotrue/authoob_admin_generate_link.sql
\ir gotrue/authoob_gotrue_invite.sql
\ir gotrue/authoob_gotrue_admin_generate_link.sql
\ir gotrue/authoob_gotrue_verify_link_error.sql

-- Identity providers, OAuth 2.0 and OpenID Connect
-- (docs/identity-providers.md): the providers and the identities of
-- users there, the owner's functions that configure them, the sign-in's
-- flows and routes
\ir tables/identity_providers.sql
\ir tables/identities.sql
\ir functions/authoob_identity_provider_row.sql
\ir functions/authoob_add_identity_provider.sql
\ir functions/authoob_alter_identity_provider.sql
\ir functions/authoob_remove_identity_provider.sql
\ir tables/oauth_flows.sql
\ir tables/oauth_handoffs.sql
\ir functions/authoob_url_encode.sql
\ir functions/authoob_url_with_query.sql
\ir functions/authoob_url_with_session.sql
\ir functions/authoob_oauth_error_url.sql
\ir functions/authoob_jws_verify.sql
\ir functions/authoob_fire_oauth_hook.sql
\ir functions/authoob_provider_fetch.sql
\ir functions/authoob_oauth_answer.sql
\ir functions/authoob_oauth_provider.sql
\ir functions/authoob_oauth_id_token.sql
\ir functions/authoob_oauth_subject.sql
\ir functions/authoob_oauth_identity_user.sql
\ir functions/authoob_oauth_user.sql
\ir functions/authoob_set_partition_key.sql
\ir functions/authoob_oauth_handoff.sql
\ir functions/authoob_oauth_sign_in.sql
\ir functions/authoob_oauth_failure_url.sql
\ir functions/authoob_oauth_redirect.sql
\ir functions/authoob_oauth_start.sql
\ir functions/authoob_oauth_authorize.sql
\ir functions/authoob_oauth_callback.sql
\ir functions/authoob_oauth_locate.sql
\ir functions/authoob_oauth_finish.sql
\ir gotrue/authoob_gotrue_id_token.sql
\ir functions/authoob_link_identity.sql
\ir functions/authoob_unlink_identity.sql
-- Passwordless sign-in (docs/supabase.md, "Magic links and email codes"):
-- C, then PL/pgSQL
\ir functions/authoob_otp_ask.sql
\ir gotrue/authoob_magic_link_ask_for_flow.sql
\ir gotrue/authoob_magic_link_user.sql
\ir gotrue/authoob_gotrue_otp.sql
\ir functions/authoob_otp_verify.sql
-- Email change: C, then PL/pgSQL
\ir gotrue/authoob_email_change_ask.sql
\ir gotrue/authoob_email_change_user.sql
\ir gotrue/authoob_email_change_again_for_flow.sql
\ir gotrue/authoob_apply_email_change.sql
\ir functions/authoob_email_change.sql
\ir functions/authoob_email_change_confirm.sql

-- Anonymous sign-in (docs/supabase.md): the owner's sweep
\ir functions/authoob_sweep_anonymous.sql

\ir database.sql
