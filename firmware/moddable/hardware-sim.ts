// The hardware of a simulator build (Moddable Linux simulator): no sensor drivers, no I2C bus,
// no flash partition. Only the "simulated" sensors of the catalogue can be chosen, and the agent
// runs without flash. The simulator manifest maps the "moddable/hardware" module to this file.

import type { Hardware } from "./boot.js";

const hardware: Hardware = { sensors: {} };

export default hardware;
