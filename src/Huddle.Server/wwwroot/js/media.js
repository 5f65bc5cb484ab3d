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

/**
 * What to tell a person whose camera and/or microphone is missing, and why.
 * @param {MediaProblem} problem
 * @param {{ audio: boolean, video: boolean }} missing which of the wanted devices we could not get
 * @returns {{ text: string, short: string }} a sentence for the banner and a few words for the own tile
 */
export function describeProblem(problem, missing) {
  const both = missing.audio === missing.video;
  const what = both ? 'camera and microphone' : missing.video ? 'camera' : 'microphone';
  const What = what[0].toUpperCase() + what.slice(1);
  const them = both ? 'them' : 'it';
  const still = both ? 'You can still see and hear the others.'
    : missing.video ? 'The others can hear you but not see you.' : 'The others can see you but not hear you.';
  switch (problem) {
    case 'permission-denied':
      return {
        text: `Permission denied: Huddle may not use your ${what}. Allow ${them} in the address bar, then turn ${them} on. ${still}`,
        short: `${What} blocked: permission denied`,
      };
    case 'device-busy':
      return {
        text: `Device busy: your ${what} ${both ? 'are' : 'is'} in use (used by another app?). Close the other app, then turn ${them} on. ${still}`,
        short: `${What} busy (used by another app?)`,
      };
    case 'no-device':
      return {
        text: `No ${what} found. Plug one in, then turn ${them} on. ${still}`,
        short: `No ${what} found`,
      };
    default:
      return {
        text: `This page cannot use your ${what} (browsers allow it only over HTTPS). ${still}`,
        short: `${What} unavailable: needs HTTPS`,
      };
  }
}

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
    if (!audio || !video) return { audio: null, video: null, problem };
  }
  // Each alone: a missing or busy camera (or a camera blocked in the site settings while the
  // microphone is allowed) still leaves the other device. A blocked permission fails at once,
  // without prompting again.
  const gotAudio = await single('audio', audio);
  const gotVideo = await single('video', video);
  return {
    audio: gotAudio.track,
    video: gotVideo.track,
    // Say why the device that is still missing is missing.
    problem: !gotVideo.track ? gotVideo.problem ?? problem : !gotAudio.track ? gotAudio.problem ?? problem : null,
  };
}

/**
 * @param {'audio' | 'video'} kind @param {MediaTrackConstraints} constraints
 * @returns {Promise<{ track: MediaStreamTrack | null, problem: MediaProblem | null }>}
 */
async function single(kind, constraints) {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    return { track: stream.getTracks()[0] ?? null, problem: null };
  } catch (error) {
    return { track: null, problem: classifyError(error) };
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
