// @ts-check
/** Camera, microphone and quality selects, kept in step with the devices plugged in. */
import { listDevices } from '../media.js';
import { el } from './dom.js';

/** @typedef {import('../media.js').Quality} Quality */

const STORE = { camera: 'huddle.camera', mic: 'huddle.mic', quality: 'huddle.quality' };

export class DevicePicker {
  /**
   * @param {{ camera: HTMLSelectElement, mic: HTMLSelectElement, quality: HTMLSelectElement,
   *           onChange: (kind: 'audio' | 'video', deviceId: string) => void,
   *           onQuality: (quality: Quality) => void, onDevicesChanged: () => void }} parts
   */
  constructor(parts) {
    this.parts = parts;
    parts.camera.addEventListener('change', () => {
      remember(STORE.camera, parts.camera.value);
      parts.onChange('video', parts.camera.value);
    });
    parts.mic.addEventListener('change', () => {
      remember(STORE.mic, parts.mic.value);
      parts.onChange('audio', parts.mic.value);
    });
    parts.quality.addEventListener('change', () => {
      remember(STORE.quality, parts.quality.value);
      parts.onQuality(this.quality);
    });
    navigator.mediaDevices?.addEventListener?.('devicechange', async () => {
      await this.refresh();
      parts.onDevicesChanged();
    });
  }

  /** @returns {string | undefined} */
  get cameraId() {
    return this.parts.camera.value || recall(STORE.camera);
  }

  /** @returns {string | undefined} */
  get micId() {
    return this.parts.mic.value || recall(STORE.mic);
  }

  /** @returns {Quality} */
  get quality() {
    const v = this.parts.quality.value;
    return v === 'low' || v === 'high' ? v : 'medium';
  }

  /** @param {Quality} quality */
  setQuality(quality) {
    this.parts.quality.value = quality;
  }

  static storedQuality() {
    const v = recall(STORE.quality);
    return v === 'low' || v === 'high' || v === 'medium' ? v : undefined;
  }

  /** Marks the devices of live tracks as selected. @param {MediaStreamTrack | null} audio @param {MediaStreamTrack | null} video */
  showCurrent(audio, video) {
    const a = audio?.getSettings().deviceId;
    const v = video?.getSettings().deviceId;
    if (a && [...this.parts.mic.options].some((o) => o.value === a)) this.parts.mic.value = a;
    if (v && [...this.parts.camera.options].some((o) => o.value === v)) this.parts.camera.value = v;
  }

  /** Is the device still plugged in? @param {'audio' | 'video'} kind @param {string | undefined} deviceId */
  has(kind, deviceId) {
    const select = kind === 'audio' ? this.parts.mic : this.parts.camera;
    return !!deviceId && [...select.options].some((o) => o.value === deviceId);
  }

  async refresh() {
    const { cameras, microphones } = await listDevices();
    fill(this.parts.camera, cameras, 'Camera', recall(STORE.camera));
    fill(this.parts.mic, microphones, 'Microphone', recall(STORE.mic));
  }
}

/**
 * @param {HTMLSelectElement} select @param {MediaDeviceInfo[]} devices @param {string} noun @param {string | undefined} preferred
 */
function fill(select, devices, noun, preferred) {
  const current = select.value || preferred || '';
  select.replaceChildren();
  const real = devices.filter((d) => d.deviceId);
  if (real.length === 0) {
    const none = el('option', undefined, `No ${noun.toLowerCase()} found`);
    none.value = '';
    select.append(none);
    select.disabled = true;
    return;
  }
  select.disabled = false;
  real.forEach((device, i) => {
    const option = el('option', undefined, device.label || `${noun} ${i + 1}`);
    option.value = device.deviceId;
    select.append(option);
  });
  if (real.some((d) => d.deviceId === current)) select.value = current;
}

/** @param {string} key @param {string} value */
function remember(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode: nothing to remember with.
  }
}

/** @param {string} key @returns {string | undefined} */
function recall(key) {
  try {
    return localStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}
