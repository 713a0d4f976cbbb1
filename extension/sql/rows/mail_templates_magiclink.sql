-- The mail of a passwordless sign-in (POST P/otp, Supabase Auth's POST
-- /otp): a link and a 6-digit code, either of which signs in once.  The
-- words of Supabase Auth's default magic link mail.
INSERT INTO authoob.mail_templates VALUES
('magiclink',
 'Your sign-in link',
 E'Sign in\n\nFollow this link to sign in:\n\n{{link}}\n\nOr enter this code: {{ .Token }}\n\nIt is valid once, for a few minutes. If you did not ask for it, ignore this mail.\n',
 E'<h2>Sign in</h2>\n\n<p>Follow this link to sign in:</p>\n<p><a href="{{link}}">Sign in</a></p>\n<p>Or enter this code: {{ .Token }}</p>\n<p>It is valid once, for a few minutes. If you did not ask for it, ignore this mail.</p>\n');
