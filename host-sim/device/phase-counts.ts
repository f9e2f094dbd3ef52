// What a virtual run did, phase by phase, for the energy model (`npm run energy`) to price with a
// power profile: counts taken from the run itself, not from a formula. A sleep-mode run and an
// always-on run each give one.

export interface PhaseCounts {
  mode: "sleep" | "always-on";
  /** Device time the run covered, ms. */
  deviceMs: number;
  /** Boots: the first power-on, resets, power cuts and, in sleep mode, every wake from deep sleep. */
  boots: number;
  /** Of the boots, wakes from deep sleep by its timer (sleep mode; 0 always-on). */
  wakes: number;
  /**
   * Device time awake in each boot, ms, in order: wake to sleep in sleep mode; the whole run
   * always-on. Virtual time stands still while a request is on the wire, so the network phases
   * are priced from the counts below, not from these.
   */
  awakeMs: number[];
  /** Samples taken (each reads every sensor once), and the readings they gave (one a variable). */
  samples: number;
  readings: number;
  /** Times the radio came up and joined Wi-Fi (association and DHCP). */
  wifiJoins: number;
  /** TLS handshakes: one per connection the HTTP client opened. */
  tlsHandshakes: number;
  /** HTTP requests: uploads and landing checks. */
  requests: number;
  /** HTTP bytes (head and body) sent and received, before TLS framing. */
  bytesSent: number;
  bytesReceived: number;
  /** Device time in deep sleep, ms (0 always-on). */
  sleepMs: number;
  /** Always-on: device time with the radio up and no exchange on the wire, ms (0 in sleep mode). */
  idleMs: number;
  /** Flash bytes read by each boot's recovery of the journal (and the sleep state), in order. */
  flashBytesRead: number[];
  /** Each boot's flash writes: bytes programmed, the 256-byte page programs they took, 4 KB sectors erased. */
  flashBytesProgrammed: number[];
  flashPagePrograms: number[];
  flashSectorsErased: number[];
  /** Whether each boot brought the radio up (an upload wake, in sleep mode). */
  radio: boolean[];
}
