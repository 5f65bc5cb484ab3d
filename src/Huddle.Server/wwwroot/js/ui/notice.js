// @ts-check
/** One banner at the top of the page; the most important current notice wins. */

/** Higher wins. */
const PRIORITY = /** @type {Record<string, number>} */ ({
  'server-unreachable': 50,
  'room-full': 40,
  'permission-denied': 30,
  'device-busy': 30,
  'no-device': 30,
  unsupported: 30,
  info: 10,
});

export class Notices {
  /** @param {HTMLElement} root */
  constructor(root) {
    this.root = root;
    /** @type {Map<string, string>} */
    this.active = new Map();
    const text = root.querySelector('.notice-text');
    const close = root.querySelector('.notice-close');
    if (!(text instanceof HTMLElement) || !(close instanceof HTMLElement)) throw new Error('huddle: #notice is incomplete');
    this.text = text;
    close.addEventListener('click', () => {
      const code = root.dataset.code;
      if (code) this.clear(code);
    });
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.infoTimer = undefined;
  }

  /** @param {string} code @param {string} message */
  set(code, message) {
    this.active.set(code, message);
    this.#render();
  }

  /** A short-lived informational notice. @param {string} message */
  info(message) {
    this.set('info', message);
    clearTimeout(this.infoTimer);
    this.infoTimer = setTimeout(() => this.clear('info'), 2500);
  }

  /** @param {string} code */
  clear(code) {
    if (this.active.delete(code)) this.#render();
  }

  #render() {
    let best = '';
    for (const code of this.active.keys()) {
      if (!best || (PRIORITY[code] ?? 0) > (PRIORITY[best] ?? 0)) best = code;
    }
    if (!best) {
      this.root.hidden = true;
      delete this.root.dataset.code;
      return;
    }
    this.root.hidden = false;
    this.root.dataset.code = best;
    this.text.textContent = this.active.get(best) ?? '';
  }
}
