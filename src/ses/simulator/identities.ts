/**
 * SES identity checks for the simulator: verified addresses and domains (a verified domain also
 * covers its subdomains), the mailbox simulator, and the sandbox rule that recipients must be
 * verified too (SES Developer Guide, "Verified identities", "Mailbox simulator").
 */

const MAILBOX_SIMULATOR_DOMAIN = 'simulator.amazonses.com';
const MAILBOX_SIMULATOR_USERS = new Set(['success', 'bounce', 'ooto', 'complaint', 'suppressionlist']);

function splitAddress(address: string): { local: string; domain: string } | undefined {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return undefined;
  return { local: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/** `success@simulator.amazonses.com`, `bounce+label@…` and the other mailbox simulator addresses. */
export function isMailboxSimulatorAddress(address: string): boolean {
  const parts = splitAddress(address);
  if (parts === undefined || parts.domain !== MAILBOX_SIMULATOR_DOMAIN) return false;
  const user = parts.local.toLowerCase().split('+', 1)[0] ?? '';
  return MAILBOX_SIMULATOR_USERS.has(user);
}

/** True when `address` is a verified identity or lies in (a subdomain of) a verified domain. */
export function isVerified(address: string, identities: readonly string[]): boolean {
  const parts = splitAddress(address);
  if (parts === undefined) return false;
  const lowered = address.toLowerCase();
  return identities.some((identity) => {
    const id = identity.toLowerCase();
    if (id.includes('@')) return id === lowered;
    return parts.domain === id || parts.domain.endsWith(`.${id}`);
  });
}

export interface IdentityPolicy {
  readonly sandbox: boolean;
  /** undefined: nothing verified in the sandbox, every sender verified outside it. */
  readonly verifiedIdentities: readonly string[] | undefined;
}

/**
 * The identities SES would name in `554 Message rejected: Email address is not verified`:
 * the senders (envelope and From header) first, then, in the sandbox, the recipients that are
 * neither verified nor mailbox simulator addresses. Duplicates are listed once.
 */
export function unverifiedIdentities(
  senders: readonly string[],
  recipients: readonly string[],
  policy: IdentityPolicy,
): string[] {
  const failed: string[] = [];
  const add = (address: string): void => {
    if (!failed.some((seen) => seen.toLowerCase() === address.toLowerCase())) failed.push(address);
  };
  const identities = policy.verifiedIdentities;
  if (identities !== undefined || policy.sandbox) {
    for (const sender of senders) {
      if (!isVerified(sender, identities ?? [])) add(sender);
    }
  }
  if (policy.sandbox) {
    for (const recipient of recipients) {
      if (!isMailboxSimulatorAddress(recipient) && !isVerified(recipient, identities ?? [])) add(recipient);
    }
  }
  return failed;
}

const HEADER_END = /\r?\n\r?\n/;
const ADDRESS = /[^\s<>,;:"()[\]]+@[^\s<>,;:"()[\]]+/g;

/**
 * The addresses in the message's `From:` and `Sender:` headers (unfolded): SES checks both, with the
 * envelope sender (troubleshooting page, "Email address is not verified": "From", "Source",
 * "Sender" or "Return-Path"). Empty when there are none.
 */
export function senderHeaderAddresses(raw: string): string[] {
  const headerEnd = raw.search(HEADER_END);
  const header = (headerEnd === -1 ? raw : raw.slice(0, headerEnd)).replace(/\r?\n[ \t]+/g, ' ');
  const addresses: string[] = [];
  for (const line of header.split(/\r?\n/)) {
    const name = /^(from|sender):/i.exec(line);
    if (name === null) continue;
    // Display names may be quoted strings, and comments (RFC 5322 §3.2.2, nested) may hold '@':
    // drop both before looking for addresses.
    let value = line.slice(name[0].length).replace(/"(?:[^"\\]|\\.)*"/g, '');
    for (let previous = ''; previous !== value; ) {
      previous = value;
      value = value.replace(/\((?:[^()\\]|\\.)*\)/g, ' ');
    }
    addresses.push(...(value.match(ADDRESS) ?? []));
  }
  return addresses;
}
