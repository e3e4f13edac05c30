/**
 * The SMTP-smuggling end-of-data look-alikes of threats.md §2 (RFC 5321 §4.5.2, §2.3.8): bare CR /
 * bare LF variants of <CRLF>.<CRLF> that a lenient server might take for the end of the message.
 */
export const SMUGGLING_VECTORS: readonly string[] = [
  '\n.\n',
  '\r.\r',
  '\r.\n',
  '\n.\r',
  '\n.\r\n',
  '\r\n.\n',
  '\r.\r\n',
  '\r\n.\r',
  '\r\n.\r\r\n',
  '\r\r\n.\r\r\n',
];
