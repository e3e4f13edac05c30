/**
 * SES-shaped message ids for the simulator: `0101` + the send time in milliseconds as 12 hex
 * digits, a UUID, and `-000000` (the shape of the id SES returns in `250 Ok <id>`).
 */
import { randomUUID } from 'node:crypto';

const TIME_HEX_DIGITS = 12;

/** Matches a message id of the shape SES returns (and this simulator produces). */
export const SES_MESSAGE_ID_PATTERN =
  /^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[0-9]{6}$/;

export function createSesMessageId(nowMs: number, uuid: string = randomUUID()): string {
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(TIME_HEX_DIGITS, '0');
  return `0101${time.slice(-TIME_HEX_DIGITS)}-${uuid.toLowerCase()}-000000`;
}
