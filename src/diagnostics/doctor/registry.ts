/** Every doctor check, in the order they are shown. A new check is one entry here (and passes test/doctor/contract.test.ts). */
import { runningBrainsCheck, stateDirsCheck } from "./brains.ts";
import { agentsCheck } from "./agents.ts";
import { browsersCheck } from "./browser.ts";
import { channelStatesCheck } from "./channel-states.ts";
import { channelsCheck } from "./channels.ts";
import { clockCheck, diskCheck, filesystemCheck, nodeCheck } from "./environment.ts";
import { exposureCheck } from "./exposure.ts";
import { permissionsCheck } from "./permissions.ts";
import { portPlanCheck, portsCheck } from "./ports.ts";
import { proxyCheck } from "./proxy.ts";
import { serviceCheck } from "./service.ts";
import { configCheck, lockCheck } from "./this-brain.ts";
import type { DoctorCheck } from "./types.ts";

export const doctorChecks: readonly DoctorCheck[] = [
  runningBrainsCheck,
  stateDirsCheck,
  browsersCheck,
  configCheck,
  lockCheck,
  portsCheck,
  portPlanCheck,
  serviceCheck,
  channelsCheck,
  channelStatesCheck,
  agentsCheck,
  permissionsCheck,
  exposureCheck,
  filesystemCheck,
  nodeCheck,
  clockCheck,
  diskCheck,
  proxyCheck,
];
