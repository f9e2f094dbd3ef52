// The hardware of a simulator build (Moddable Linux simulator): no sensor drivers, no I2C bus.
// Only the "simulated" sensors of the catalogue can be chosen. Flash is a file standing in for
// the partition (file-flash.ts): `flashPartition` names it by its absolute path; a build whose
// file is missing runs without flash, as before. Deep sleep is emulated beside that file
// (emulated-sleep.ts); without the file there is nothing to carry the readings, so no sleep.
// The simulator manifest maps the "moddable/hardware" module to this file.

import { File } from "file";
import type { Hardware } from "./boot.js";
import { EmulatedSleep } from "./emulated-sleep.js";
import { fileFlashModule } from "./file-flash.js";

/** The machine stops here for good: the driver ends the process (the emulated deep sleep). */
function halt(): never {
  for (;;);
}

const hardware: Hardware = Object.freeze<Hardware>({
  sensors: Object.freeze({}),
  Flash: fileFlashModule(File),
  sleep: ({ flashPartition, logger }) => (File.exists(flashPartition) ? new EmulatedSleep(File, flashPartition, logger, halt) : undefined),
});

export default hardware;
