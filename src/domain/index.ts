/**
 * The pure domain: configuration, members, the schedule, the rotation engine and the old file format.
 * Workflow code may import rotation.ts, schedule.ts and members.ts directly to keep zod out of its bundle.
 */
export * from './config';
export * from './errors';
export * from './members';
export * from './rotation';
export * from './schedule';
export * from './teamRolesFile';
export * from './types';
export * from './clock';
export * from './notice';
export * from './acknowledgement';
export * from './roleRules';
export * from './fairness';
export * from './planChanges';
export * from './absences';
export * from './handover';
export * from './changeNotices';
