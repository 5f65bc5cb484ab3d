// @ts-check
/**
 * Local camera and microphone: acquisition with fallbacks, error classification, device lists and
 * a level meter. DOM-free (uses navigator.mediaDevices and Web Audio only).
 */

/** @typedef {'permission-denied' | 'device-busy' | 'no-device' | 'unsupported'} MediaProblem */
/** @typedef {'low' | 'medium' | 'high'} Quality */

/** @type {Record<Quality, MediaTrackConstraints>} */
const VIDEO_SIZES = {
  low: { width: { ideal: 160 }, height: { ideal: 120 }, frameRate: { ideal: 15 } },
  medium: { width: { ideal: 640 }, height: { ideal: 360 }, frameRate: { ideal: 24 } },
  high: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } },
};

/** @type {Record<MediaProblem, string>} */
export const PROBLEM_TEXT = {
  'permission-denied': 'Camera and microphone access was denied. Allow it in the address bar to be seen and heard — you can still see and hear the others.',
  'device-busy': 'Your camera or microphone is busy (is another app using it?). You can still see and hear the others.',
  'no-device': 'No camera or microphone was found. You can still see and hear the others.',
  unsupported: 'This browser cannot use a camera here (it needs HTTPS). You can still see and hear the others.',
};

/** @param {unknown} error @returns {MediaProblem} */
export function classifyError(error) {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permission-denied';
    case 'NotReadableError':
    case 'AbortError':
    case 'TrackStartError':
      return 'device-busy';
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return 'no-device';
    default:
      return 'unsupported';
  }
}

/**
 * @param {{ quality: Quality, deviceId?: string }} options
 * @returns {MediaTrackConstraints}
 */
export function videoConstraints({ quality, deviceId }) {
  return { ...VIDEO_SIZES[quality], ...(deviceId ? { deviceId: { exact: deviceId } } : {}) };
}

/** @param {string | undefined} deviceId @returns {MediaTrackConstraints} */
export function audioConstraints(deviceId) {
  return { echoCancellation: true, noiseSuppression: true, autoGainControl: true, ...(deviceId ? { deviceId: { exact: deviceId } } : {}) };
}

/**
 * Gets what it can of microphone and camera: both first, then each alone, so a missing camera
 * still leaves the microphone.
 * @param {{ audio: boolean, video: boolean, quality: Quality, audioDeviceId?: string, videoDeviceId?: string }} want
 * @returns {Promise<{ audio: MediaStreamTrack | null, video: MediaStreamTrack | null, problem: MediaProblem | null }>}
 */
export async function acquire(want) {
  if (!navigator.mediaDevices?.getUserMedia) return { audio: null, video: null, problem: want.audio || want.video ? 'unsupported' : null };
  const audio = want.audio ? audioConstraints(want.audioDeviceId) : false;
  const video = want.video ? videoConstraints({ quality: want.quality, deviceId: want.videoDeviceId }) : false;
  if (!audio && !video) return { audio: null, video: null, problem: null };
  /** @type {MediaProblem | null} */
  let problem = null;
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    return { audio: stream.getAudioTracks()[0] ?? null, video: stream.getVideoTracks()[0] ?? null, problem: null };
  } catch (error) {
    problem = classifyError(error);
    if (problem === 'permission-denied' || !audio || !video) return { audio: null, video: null, problem };
  }
  const audioTrack = await single('audio', audio);
  const videoTrack = await single('video', video);
  return { audio: audioTrack, video: videoTrack, problem };
}

/** @param {'audio' | 'video'} kind @param {MediaTrackConstraints} constraints */
async function single(kind, constraints) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    return stream.getTracks()[0] ?? null;
  } catch {
    return null;
  }
}

/** @returns {Promise<{ cameras: MediaDeviceInfo[], microphones: MediaDeviceInfo[] }>} */
export async function listDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return { cameras: [], microphones: [] };
  const devices = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: devices.filter((d) => d.kind === 'videoinput'),
    microphones: devices.filter((d) => d.kind === 'audioinput'),
  };
}

/** Measures the loudness of an audio track, 0..1. */
export class LevelMeter {
  /** @param {MediaStreamTrack} track */
  constructor(track) {
    this.context = new AudioContext();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 512;
    this.samples = new Float32Array(this.analyser.fftSize);
    this.source.connect(this.analyser);
  }

  /** @returns {number} RMS level scaled to 0..1 */
  read() {
    if (this.context.state === 'suspended') this.context.resume().catch(() => {});
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const s of this.samples) sum += s * s;
    const rms = Math.sqrt(sum / this.samples.length);
    return Math.min(1, rms * 4);
  }

  close() {
    this.source.disconnect();
    this.context.close().catch(() => {});
  }
}
