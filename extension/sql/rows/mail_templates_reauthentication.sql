-- The reauthentication mail (GET G/reauthenticate): Supabase Auth's
-- default (its mailer's templatemailer.go), the nonce alone.
INSERT INTO authoob.mail_templates VALUES
('reauthentication',
 'Confirm reauthentication',
 E'Confirm reauthentication\n\nEnter the code: {{ .Token }}\n',
 E'<h2>Confirm reauthentication</h2>\n\n<p>Enter the code: {{ .Token }}</p>\n');
