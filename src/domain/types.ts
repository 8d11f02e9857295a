import type { Member } from './config';

export type { Member };

/** A local calendar date, `YYYY-MM-DD`. */
export type IsoDate = string;

/** One member's turn: all-day dates, `end` exclusive (as Google all-day events are). */
export interface Turn {
  member: Member;
  start: IsoDate;
  end: IsoDate;
}
