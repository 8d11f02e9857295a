import type { TurnAcknowledgement } from './acknowledgement';
import type { Member } from './config';

export type { Member };

/** A local calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** One member's turn: all-day dates, `end` exclusive (as Google all-day events are). */
export interface Turn {
  member: Member;
  start: IsoDate;
  end: IsoDate;
  /** Whether and how the member acknowledged the notice for this turn (when acknowledgements are on). */
  acknowledgement?: TurnAcknowledgement;
}
