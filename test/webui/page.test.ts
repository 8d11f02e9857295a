// The sandbox page shows what the team sees, checked in a real browser (the Chromium the devDependency
// @sparticuz/chromium ships, driven by playwright-core, as the Web UI test does: test/support/chromium.ts). For now it seeds the fakes through the services and the fakes' own
// seeding; once the role workflow sends the messages, this drives a real `handover-now` instead.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createOnDutyGroupService } from '../../src/activities/on-duty-group';
import { createSlackClient } from '../../src/activities/slack';
import { createSlackMessagesService } from '../../src/activities/slack-messages';
import { DEFAULT_SETTINGS, parseSettings } from '../../src/domain/config';
import { addDays } from '../../src/domain/schedule';
import { mergeSettings } from '../../src/settings';
import { startSandboxPage, type SandboxPage } from '../../src/sandbox/page';
import { DEMO_MANAGER, DEMO_TEAM, demoOutOfOffice, startSandbox, type Sandbox } from '../../src/sandbox/sandbox';
import { CHROMIUM_ARGS, chromiumBinary } from '../support/chromium';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const CHANNEL = 'C0SUPPORT1';
const [AVA, BEN, CHLOE] = DEMO_TEAM as [(typeof DEMO_TEAM)[0], (typeof DEMO_TEAM)[0], (typeof DEMO_TEAM)[0]];

describe('the sandbox page shows what the team sees (real browser)', function () {
  this.timeout(120_000);
  this.retries(1);
  let sandbox: Sandbox;
  let page: SandboxPage;
  let browser: Browser;

  const settings = parseSettings(
    mergeSettings(DEFAULT_SETTINGS, {
      roles: {
        'support-triager': { slack: { channel: CHANNEL }, onDutyUsergroup: 'support-triager-on-duty' },
      },
    }),
  );
  // Local dates, as the page lays out its month grid in the browser's (this machine's) time zone.
  const now = new Date();
  const today = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;

  before(async function () {
    sandbox = await startSandbox({
      groups: { 'support-triagers': DEMO_TEAM },
      standupManager: DEMO_MANAGER,
      channels: [{ id: CHANNEL, name: 'support-freshdesk' }],
    });
    page = await startSandboxPage({
      ...sandbox,
      onMembersChanged: (change) => Promise.resolve(`The rotations of @${change.group} read it again.`),
    });
    browser = await chromium.launch({ ...chromiumBinary(), headless: true, args: CHROMIUM_ARGS });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await page?.close();
    await sandbox?.close();
  });

  it('shows the notice post and the DMs with names, the on-duty group, the standup and the month of turns', async () => {
    const slack = createSlackClient({ token: sandbox.slack.token, apiUrl: sandbox.slack.url });
    const messages = createSlackMessagesService({ settings, slack });
    const facts = { date: today, incoming: CHLOE, buddy: BEN, outgoing: AVA };
    const notice = await messages.sendMessages('support-triager', 'notice', facts);
    assert.deepEqual(notice.failures, []);
    const group = await createOnDutyGroupService({ settings, slack }).syncOnDutyGroup({
      role: 'support-triager',
      members: [CHLOE, BEN],
    });
    assert.equal(group.action, 'created');
    sandbox.geekbot.seedStandup({
      name: 'SupportTriager',
      channel: '#support-freshdesk',
      users: [CHLOE.id, DEMO_MANAGER.id],
      questions: [`Hi <@${CHLOE.id}>! It is your turn to serve as Support Triager. Your buddy is <@${BEN.id}>.`],
    });
    sandbox.calendar.seedEvent({
      summary: `Support Triager: ${BEN.name}`,
      start: addDays(today, -7),
      end: addDays(today, 7),
    });
    sandbox.calendar.seedEvent({ summary: `Support Triager: ${CHLOE.name}`, start: today, end: addDays(today, 14) });

    const tab = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await tab.goto(page.url);
    const channels = tab.getByTestId('channels');
    await channels.getByText(`@${CHLOE.name} takes over as Support Triager on`).waitFor({ timeout: 30_000 });
    assert.match(
      await channels.innerText(),
      /#support-freshdesk[\s\S]*team-roles[\s\S]*APP[\s\S]*@Chloe takes over as Support Triager on .* with @Ben; @Ava rotates off\./,
    );

    const dms = await tab.getByTestId('dms').innerText();
    assert.match(dms, /Chloe[\s\S]*Hi Chloe! You take over as Support Triager on/);
    assert.match(dms, /Ben[\s\S]*Hi Ben! From .* you are the Support Triager buddy of @Chloe/);

    const onDuty = tab.locator('[data-handle="support-triager-on-duty"]');
    assert.equal(await onDuty.innerText(), '@support-triager-on-duty Chloe, Ben');
    assert.match(
      await tab.getByTestId('standups').innerText(),
      /SupportTriager in #support-freshdesk[\s\S]*Hi @Chloe! It is your turn/,
    );

    assert.equal(await tab.getByTestId('month-label').innerText(), `${MONTHS[now.getMonth()]} ${now.getFullYear()}`);
    const todayCell = await tab.locator(`[data-date="${today}"]`).innerText();
    assert.match(todayCell, /Ben/);
    assert.match(todayCell, /Chloe/);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page.png'), fullPage: true });

    // The page follows the fakes: the handover's post appears without a reload.
    await messages.sendMessages('support-triager', 'handover', facts);
    await channels.getByText(`@${CHLOE.name} is now Support Triager with @${BEN.name}`).waitFor({ timeout: 10_000 });
    await tab.getByTestId('next-month').click();
    const next = new Date(now.getFullYear(), now.getMonth() + 1, 1);
    assert.equal(await tab.getByTestId('month-label').innerText(), `${MONTHS[next.getMonth()]} ${next.getFullYear()}`);
    const firstOfNext = `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, '0')}-01`;
    await tab.locator(`[data-date="${firstOfNext}"]`).waitFor({ timeout: 10_000 });

    // Ella's out-of-office week (the sandbox's demo absence) shows on its days, Monday to Friday, and not on Saturday.
    const monday = demoOutOfOffice(now).start.slice(0, 10);
    const shown = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;
    for (let at = next.getFullYear() * 12 + next.getMonth(); at !== shown(monday);) {
      await tab.getByTestId(at < shown(monday) ? 'next-month' : 'prev-month').click();
      at += at < shown(monday) ? 1 : -1;
    }
    await tab.locator(`[data-date="${monday}"]`).waitFor({ timeout: 10_000 });
    assert.match(await tab.locator(`[data-date="${monday}"]`).innerText(), /Ella away/);
    const friday = addDays(monday, 4);
    if (friday.slice(0, 7) === monday.slice(0, 7)) {
      assert.match(await tab.locator(`[data-date="${friday}"]`).innerText(), /Ella away/);
      const saturday = addDays(monday, 5);
      if (saturday.slice(0, 7) === monday.slice(0, 7)) {
        assert.doesNotMatch(await tab.locator(`[data-date="${saturday}"]`).innerText(), /Ella away/);
      }
    }
  });

  it('joins and leaves a group from the User groups panel, and shows what happens next or why not', async () => {
    sandbox.setGroup('support-triagers', DEMO_TEAM); // as before a retry's first attempt
    const tab = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await tab.goto(page.url);
    const triagers = tab.locator('[data-handle="support-triagers"]');
    await triagers.getByText('Grace').waitFor({ timeout: 30_000 });
    const status = tab.getByTestId('members-status');

    await tab.getByTestId('join-group').selectOption('support-triagers');
    await tab.getByTestId('join-name').fill('Hugo');
    await tab.getByTestId('join').click();
    await status.getByText('Hugo joined @support-triagers.').waitFor({ timeout: 10_000 });
    assert.match(await status.innerText(), /The rotations of @support-triagers read it again\./);
    await triagers.locator('span.member[data-member="U0HUGO0001"]').waitFor({ timeout: 10_000 });
    assert.equal(await tab.getByTestId('join-name').inputValue(), '', 'the name is cleared after a join');

    // A refusal shows the server's reason, and the name stays to be corrected.
    await tab.getByTestId('join-name').fill('Ben');
    await tab.getByTestId('join').click();
    await status.getByText('Ben is already in @support-triagers.').waitFor({ timeout: 10_000 });
    assert.equal(await tab.getByTestId('join-name').inputValue(), 'Ben');

    await triagers.locator('button.leave[data-member="U0HUGO0001"]').click();
    await status.getByText('Hugo left @support-triagers.').waitFor({ timeout: 10_000 });
    await triagers.locator('span.member[data-member="U0HUGO0001"]').waitFor({ state: 'detached', timeout: 10_000 });
    // The group the worker keeps (on duty) has no controls.
    assert.equal(await tab.locator('[data-handle="support-triager-on-duty"] button').count(), 0);
    await tab.screenshot({ path: path.join(ARTIFACTS, 'sandbox-page-members.png'), fullPage: true });
  });
});
