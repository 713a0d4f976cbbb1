-- The templates of the mails that Supabase Auth's dialect causes: its own
-- default mails (its mailer's templatemailer.go), with the code beside the
-- link (docs/supabase.md).
INSERT INTO authoob.mail_templates VALUES
('signup',
 'Confirm your email address',
 E'Confirm your email address\n\nFollow this link to confirm this email address and finish signing up:\n\n{{ .ConfirmationURL }}\n\nOr enter this code: {{ .Token }}\n',
 E'<h2>Confirm your email address</h2>\n\n<p>Follow the link below to confirm this email address and finish signing up.</p>\n<p><a href="{{ .ConfirmationURL }}">Confirm email address</a></p>\n<p>Or enter this code: {{ .Token }}</p>\n'),
('recovery',
 'Reset your password',
 E'Reset your password\n\nWe received a request to reset your password. Follow this link to choose a new one:\n\n{{ .ConfirmationURL }}\n\nOr enter this code: {{ .Token }}\n\nIf you didn''t request this, you can safely ignore this email.\n',
 E'<h2>Reset your password</h2>\n\n<p>We received a request to reset your password. Follow the link below to choose a new one.</p>\n<p><a href="{{ .ConfirmationURL }}">Reset password</a></p>\n<p>Or enter this code: {{ .Token }}</p>\n<p>If you didn''t request this, you can safely ignore this email.</p>\n'),
('invite',
 'You''ve been invited',
 E'You''ve been invited\n\nYou''ve been invited to create an account. Follow this link to accept:\n\n{{ .ConfirmationURL }}\n\nOr enter this code: {{ .Token }}\n',
 E'<h2>You''ve been invited</h2>\n\n<p>You''ve been invited to create an account. Follow the link below to accept.</p>\n<p><a href="{{ .ConfirmationURL }}">Accept invitation</a></p>\n<p>Or enter this code: {{ .Token }}</p>\n');
