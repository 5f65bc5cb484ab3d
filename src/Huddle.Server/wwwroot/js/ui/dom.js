// @ts-check
/** Tiny DOM helpers. User text only ever goes through textContent. */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * @template {HTMLElement} T
 * @param {string} id @param {new () => T} [type]
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!node || (type && !(node instanceof type))) throw new Error(`huddle: #${id} is missing from the page`);
  return /** @type {T} */ (node);
}

/** @param {string} name @returns {string} up to two initials */
export function initials(name) {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters.map((p) => Array.from(p)[0] ?? '').join('').toUpperCase() || '?';
}

/** A stable hue (0..359) for a name, so each person's avatar keeps its colour. @param {string} name */
export function avatarHue(name) {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + (ch.codePointAt(0) ?? 0)) >>> 0;
  return hash % 360;
}

/** @param {number} ts @returns {string} local time as HH:MM (24-hour) */
export function clock(ts) {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
