/**
 * What a running gateway found by the host scan is called, and which ports it plans: shared by
 * doctor's brains check and the light "other brains" notice (which must not load all of doctor).
 */
import { loadConfig } from "../../config/load.ts";
import { portPlan, type PortPlan } from "../../paths/ports.ts";
import type { RunningBrain } from "./host-scan.ts";

/** How each kind of brain is named in findings. */
export const KIND_LABEL = { onebrain: "onebrain", openclaw: "OpenClaw", clawdbot: "Clawdbot", moltbot: "Moltbot" } as const;

/** The port plan a running gateway uses: from its base port (and, for onebrain, its config's derived ports). */
export function runningPlan(b: RunningBrain): PortPlan | null {
  if (b.basePort === null) return null;
  if (b.kind === "onebrain" && b.configPath) {
    try {
      const { config } = loadConfig(b.configPath);
      return portPlan({ flag: b.basePort, env: {}, browserControlPort: config.browser.controlPort, canvasPort: config.canvasHost.port });
    } catch {
      // Unreadable or broken: the derived ports default from the base.
    }
  }
  // OpenClaw derives its ports the way onebrain does (browser +2, canvas +4, CDP +11..+110).
  return portPlan({ flag: b.basePort, env: {} });
}
