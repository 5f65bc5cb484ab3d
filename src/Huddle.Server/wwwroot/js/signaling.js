// @ts-check
/**
 * The signaling socket (docs/protocol.md): JSON messages over one WebSocket, reconnecting with
 * exponential backoff, with an application-level ping so a dead server is noticed.
 * DOM-free: it only needs WebSocket and EventTarget.
 */

/** @typedef {{ type: string, [key: string]: any }} Message */
/** @typedef {{ retryInMs: number, retryAt: number, everConnected: boolean, attempt: number }} DownDetail */

export const PING_EVERY_MS = 5000;
export const PONG_WITHIN_MS = 10000;
export const BACKOFF_MIN_MS = 500;
export const BACKOFF_MAX_MS = 8000;

/**
 * Delay before reconnect attempt number `attempt` (0-based): 0.5 s doubling up to 8 s, with ±25 %
 * jitter so a room full of browsers does not come back in lockstep after a server restart.
 * @param {number} attempt @param {() => number} [random]
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.75 + random() * 0.5));
}

/**
 * Events:
 * - `open` — the socket is (again) connected;
 * - `message` (detail: Message) — every server message but `pong`;
 * - `down` (detail: DownDetail) — the socket closed or went silent; a reconnect is scheduled.
 */
export class Signaling extends EventTarget {
  /** @param {string} url */
  constructor(url) {
    super();
    this.url = url;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.stopped = false;
    this.attempt = 0;
    this.everConnected = false;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.pingTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.pongTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.retryTimer = undefined;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    /** @type {WebSocket} */
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.#lost(null);
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.attempt = 0;
      this.everConnected = true;
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.#ping(), PING_EVERY_MS);
      this.dispatchEvent(new Event('open'));
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      /** @type {unknown} */
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!message || typeof message !== 'object' || typeof (/** @type {any} */ (message).type) !== 'string') return;
      const typed = /** @type {Message} */ (message);
      if (typed.type === 'pong') {
        clearTimeout(this.pongTimer);
        this.pongTimer = undefined;
        return;
      }
      this.dispatchEvent(new CustomEvent('message', { detail: typed }));
    };
    socket.onclose = () => this.#lost(socket);
    socket.onerror = () => {
      // onclose follows and does the work.
    };
  }

  /** @param {Message} message @returns {boolean} whether it was handed to an open socket */
  send(message) {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  get connected() {
    return !!this.socket && this.socket.readyState === WebSocket.OPEN;
  }

  /** Closes for good: no reconnect. */
  close() {
    this.stopped = true;
    this.#stopTimers();
    clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      try {
        socket.close(1000, 'bye');
      } catch {
        // Already closing.
      }
    }
  }

  #ping() {
    if (!this.send({ type: 'ping' })) return;
    if (this.pongTimer !== undefined) return; // Still waiting for the previous pong.
    const socket = this.socket;
    this.pongTimer = setTimeout(() => {
      // No pong in time: the server or the path is gone even if TCP has not noticed.
      if (socket && socket === this.socket) {
        socket.onclose = null;
        socket.onmessage = null;
        try { socket.close(); } catch { /* ignore */ }
        this.#lost(socket);
      }
    }, PONG_WITHIN_MS);
  }

  #stopTimers() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = undefined;
    this.pongTimer = undefined;
  }

  /** @param {WebSocket | null} socket the socket that was lost (null: it could not even be created) */
  #lost(socket) {
    if (socket && socket !== this.socket) return;
    this.#stopTimers();
    this.socket = null;
    if (this.stopped) return;
    const retryInMs = backoffDelay(this.attempt);
    this.attempt++;
    /** @type {DownDetail} */
    const detail = { retryInMs, retryAt: Date.now() + retryInMs, everConnected: this.everConnected, attempt: this.attempt };
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.connect();
    }, retryInMs);
    this.dispatchEvent(new CustomEvent('down', { detail }));
  }
}
