// Package mail turns templates into emails and hands them to an SMTP server, and reads what
// comes back: placeholder rendering with fallbacks, multipart bodies with tracked links, the
// open pixel and unsubscribe headers, stable Message-IDs and VERP envelope senders, the SMTP
// transport and the retry schedule of automated emails, the IMAP mailbox a watcher reads,
// and the reading of replies, automatic replies and delivery-status notifications (SPEC §1
// Template, §4 rule 4, §12).
//
// # Placeholders
//
// Templates use four placeholders. Keywords are matched without regard to case and spaces
// inside the braces are ignored, so {{ First_Name }} is {{first_name}}.
//
//	{{name}}         the record's name
//	{{first_name}}   the first word of the record's name
//	{{field:NAME}}   a field of the record: a free field, or one of its own columns
//	                 (id, name, entity, owner, stage, access_team, email, phone)
//	{{owner.name}}   the display name of the user the email goes out for, else the username
//
// Anything else between {{ and }}, and a {{ never closed, is an error that names the
// placeholder and its line; Check and Placeholders find them when a template is saved.
//
// Any placeholder takes a fallback after a bar: {{first_name|there}}, {{field:company|your
// team}}. A placeholder without a value renders its fallback, or nothing; Compiled.Fill lists
// the placeholders that had neither (Rendered.Missing), and the engine holds an automated
// email with any instead of sending a broken merge.
//
// # Bodies
//
// Compose makes the text and HTML parts from the rendered text: blank lines make
// paragraphs, links become anchors, and everything else is escaped, merged values included.
// With tracking each distinct link i is rewritten to BASE/t/click/ID/i (ID the tracking id,
// the local part of the Message-ID); the redirect looks link i up in the stored body again
// (LinkAt), so it only ever goes to a link the email holds. The pixel is BASE/t/open/ID.gif
// and the unsubscribe URL BASE/t/unsub/ID.
// Numbers render in plain decimal without trailing zeros or exponent (120, 0.5, 1500000),
// and true/false render as yes/no, which reads naturally in a sentence.
package mail
