// Package mail turns templates into emails and hands them to an SMTP server: placeholder
// rendering, stable Message-IDs, the SMTP transport and the retry schedule of automated
// emails (SPEC §1 Template, §4 rule 4).
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
// A {{field:NAME}} the record does not have renders as nothing, the way a mail merge leaves
// an empty cell empty: one template serves many records and most fields are optional.
// Numbers render in plain decimal without trailing zeros or exponent (120, 0.5, 1500000),
// and true/false render as yes/no, which reads naturally in a sentence.
package mail
