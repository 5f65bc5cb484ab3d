// @ts-check
/** The server's rules for room and display names (docs/protocol.md), checked before joining. */

/** @param {string} room */
export function validRoom(room) {
  return /^[A-Za-z0-9_-]{1,64}$/.test(room);
}

/** @param {string} name */
export function validName(name) {
  const trimmed = name.trim();
  // eslint-disable-next-line no-control-regex
  return trimmed.length > 0 && trimmed.length <= 40 && !/[<>"'&`\u0000-\u001f\u007f-\u009f]/.test(trimmed);
}
