// Shared test fixtures: valid tokens, and the simulated board's variables.

export { BOARD_VARIABLES } from "../../firmware/simulated/board.js";

export const TOKEN = "2f3c9a1e-8b7d-4c6a-9e5f-1a2b3c4d5e6f";
export const OTHER_TOKEN = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d";
