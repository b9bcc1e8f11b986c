/** What every rule of a request sees: the engine (the state before the change), the requester's holdings, the options. */
import type { Engine } from '../engine/engine.ts';
import type { AdmissionOptions } from './decide.ts';
import type { Holdings } from './holdings.ts';

export interface Context {
  engine: Engine;
  holdings: Holdings;
  options: AdmissionOptions;
}
