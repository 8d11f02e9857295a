/** The fake outside services, for tests and the credential-free sandbox (`npm run dev`). */
export * from './http';
export {
  startFakeSlack,
  fakeSlackToken,
  slackUser,
  slackUsergroup,
  FAKE_SLACK_SCOPES,
  type FakeSlack,
  type FakeSlackChannel,
  type FakeSlackMessage,
  type FakeSlackOptions,
  type FakeSlackState,
} from './slack';
export { startSandboxPage, sandboxView, type SandboxPage, type SandboxView } from './page';
export {
  startFakeGeekbot,
  fakeGeekbotKey,
  type FakeGeekbot,
  type FakeGeekbotOptions,
  type FakeGeekbotState,
} from './geekbot';
export {
  startFakeCalendar,
  googleError,
  type FakeCalendarServer,
  type FakeCalendarOptions,
  type FakeCalendarState,
  type FakeCalendarEvent,
} from './calendar';
