/**
 * RFC limits as named constants. Each cites the section it comes from so that a reader
 * can check the number against the source.
 */

/** RFC 5321 §4.5.3.1.1: maximum total length of a user name or other local part. */
export const MAX_LOCAL_PART_OCTETS = 64;
/** RFC 5321 §4.5.3.1.2: maximum total length of a domain name or number. */
export const MAX_DOMAIN_OCTETS = 255;
/** RFC 5321 §4.5.3.1.3: maximum total length of a reverse-path or forward-path, with the angle brackets. */
export const MAX_PATH_OCTETS = 256;
/** RFC 5321 §4.5.3.1.4: maximum total length of a command line including the verb and CRLF. */
export const MAX_COMMAND_LINE_OCTETS = 512;
/** RFC 4954 §4: a SASL response line sent after a server challenge may be up to 12288 octets with CRLF. */
export const MAX_SASL_RESPONSE_LINE_OCTETS = 12_288;
/** RFC 5321 §4.5.3.1.5: maximum total length of a reply line including the code and CRLF. */
export const RFC_REPLY_LINE_OCTETS = 512;
/** RFC 5321 §4.5.3.1.6: a text line is at most 1000 octets including CRLF, so 998 without it (this value). */
export const MAX_TEXT_LINE_OCTETS = 998;

/**
 * Our reply-parser caps. Servers exceed RFC_REPLY_LINE_OCTETS in practice (long EHLO lists,
 * verbose rejections), so the caps are generous but finite: a reply bomb fails fast.
 */
export const DEFAULT_MAX_REPLY_LINE_OCTETS = 4 * 1024;
export const DEFAULT_MAX_REPLY_OCTETS = 64 * 1024;

/** Amazon SES's message size limit from its troubleshooting page: `552 Message is too long.` above 10 MB. */
export const DEFAULT_MAX_MESSAGE_OCTETS = 10_485_760;

/** The longest delay a Node timer takes (2^31 − 1 ms, ~24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;
