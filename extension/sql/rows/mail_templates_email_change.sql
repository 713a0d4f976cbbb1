-- The mails of an address change (PUT P/email, Supabase Auth's PUT /user
-- {email}): to the new address a link and a 6-digit code that confirm it,
-- to the old one a notice.
INSERT INTO authoob.mail_templates VALUES
('email_change',
 'Confirm your new email address',
 E'Confirm your new email address\n\nFollow this link to make {{ .NewEmail }} the address of your account (now {{ .Email }}):\n\n{{link}}\n\nOr enter this code: {{ .Token }}\n\nIf you did not ask for it, ignore this mail.\n',
 E'<h2>Confirm your new email address</h2>\n\n<p>Follow this link to make {{ .NewEmail }} the address of your account (now {{ .Email }}):</p>\n<p><a href="{{link}}">Change the address</a></p>\n<p>Or enter this code: {{ .Token }}</p>\n<p>If you did not ask for it, ignore this mail.</p>\n'),
('email_change_notice',
 'Your email address is being changed',
 E'Your email address is being changed\n\nSomeone signed in to your account asked to change its address from {{ .Email }} to {{ .NewEmail }}. It changes when the new address is confirmed.\n\nIf it was not you, change your password and sign out everywhere.\n',
 E'<h2>Your email address is being changed</h2>\n\n<p>Someone signed in to your account asked to change its address from {{ .Email }} to {{ .NewEmail }}. It changes when the new address is confirmed.</p>\n<p>If it was not you, change your password and sign out everywhere.</p>\n');
