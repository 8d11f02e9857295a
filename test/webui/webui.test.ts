// "Dashboards read state from the Temporal Web UI" is a promise: checked in a real browser (the Chromium that the
// devDependency @sparticuz/chromium ships, driven by playwright-core, see test/support/chromium.ts) against the dev
// server's own Web UI.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevServer } from '../../src/servers/environments';
import { getRole, roleTimeZone } from '../../src/domain/config';
import { zonedInstantText } from '../../src/domain/format';
import { webUiOf } from '../../src/client/webui';
import { jobTexts, roleWorkflowStart } from '../../src/starts';
import type { jobWorkflow, roleWorkflow } from '../../src/workflows';
import { jobWorkflowId, type JobInput } from '../../src/workflows/jobs-shared';
import {
  CHROMIUM_ARGS,
  chromiumBinary,
  freePort,
  roleBed,
  roleTiming,
  stateOf,
  waitFor,
  type RoleBed,
} from '../support';

const ARTIFACTS = path.resolve(__dirname, '..', '..', 'test-artifacts');

describe('Temporal Web UI shows the rotation (real browser)', function () {
  this.timeout(180_000);
  // A browser driving a single-page app on a loaded 2-core machine: one retry for rendering timing.
  this.retries(1);
  let env: TestWorkflowEnvironment;
  let bed: RoleBed;
  let browser: Browser;
  let uiUrl: string;
  let stopWorker: () => Promise<void>;
  let timeZone: string;
  let nextHandoverAt: string;
  let summary: string;

  before(async function () {
    const chromiumAt = chromiumBinary();
    const uiPort = await freePort();
    env = await startDevServer({ uiPort });
    uiUrl = `http://127.0.0.1:${uiPort}`;
    // The handover three days ahead, its notice not yet due: incoming and current stay as seeded while the test looks.
    bed = await roleBed(env, { settings: { roles: { 'support-triager': roleTiming('prepare not yet due') } } });
    const worker = await bed.worker();
    const running = worker.run();
    stopWorker = async () => {
      worker.shutdown();
      await running;
    };
    // Started as `team-roles start` starts it (its summary and details), on the bed's task queue.
    const role = getRole(bed.settings, 'support-triager');
    timeZone = roleTimeZone(bed.settings, role);
    const start = roleWorkflowStart(
      { role: 'support-triager', seed: { incoming: 'Ben', current: 'Ava' } },
      role,
      timeZone,
    );
    summary = start.staticSummary;
    const handle = await env.client.workflow.start<typeof roleWorkflow>('roleWorkflow', {
      ...start,
      taskQueue: bed.taskQueue,
    });
    nextHandoverAt = (await stateOf(handle)).nextHandoverAt;
    browser = await chromium.launch({ ...chromiumAt, headless: true, args: CHROMIUM_ARGS }).catch((err: unknown) => {
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      throw new Error(
        `The Web UI test could not start Chromium at ${chromiumAt.executablePath} (${reason}): ` +
          'set CHROMIUM_PATH to a Chromium or Chrome binary.',
      );
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await stopWorker?.();
    await bed?.close();
    await env?.teardown();
  });

  it('finds team-roles/support-triager, runs the state query and shows incoming and current', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${uiUrl}/namespaces/default/workflows`);
    await page.getByText('team-roles/support-triager').first().click();
    await page.getByText('Queries', { exact: true }).click();

    await page.getByTestId('query-select-button').click();
    await page.getByRole('option', { name: /^state/ }).click();
    await page.getByRole('button', { name: 'Run Query' }).click();

    const text = await visibleTextOnceItShows(page, '"incoming"');
    assert.match(text, /"incoming":\s*\{[^}]*"name":\s*"Ben"/s);
    assert.match(text, /"current":\s*\{[^}]*"name":\s*"Ava"/s);
    assert.match(text, /"nextHandoverAt":\s*"\d{4}-\d{2}-\d{2}T10:00:00.000Z"/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'webui-state-query.png'), fullPage: true });
  });

  it("tells what the workflow is without a query: its summary, details, and current details in the role's zone", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${uiUrl}/namespaces/default/workflows`);
    await page.getByText('team-roles/support-triager').first().click();
    await page.getByText('User Metadata', { exact: true }).click();
    // The UI renders each Markdown text in a frame of its own.
    assert.match(summary, /^Support Triager rotation \(support-triager\): handover every \w{3} at \d\d:\d\d \(UTC\)$/);
    const when = zonedInstantText(nextHandoverAt, timeZone);
    const details = `incoming Ben, current Ava; next handover ${when}`;
    const text = await framesTextOnceItShows(page, [
      summary,
      'rotation of the Slack user group support-triagers',
      details,
    ]);
    assert.ok(text.includes(summary));
    await page.screenshot({ path: path.join(ARTIFACTS, 'webui-summary.png'), fullPage: true });

    // A one-off job says what it does too, at the address the CLI prints for it.
    const input: JobInput = { kind: 'list-members', usergroup: 'support-triagers' };
    const job = await env.client.workflow.start<typeof jobWorkflow>('jobWorkflow', {
      workflowId: jobWorkflowId('list-members', 'support-triagers', randomUUID()),
      taskQueue: bed.taskQueue,
      args: [input],
      ...jobTexts(input),
    });
    await job.result();
    const ui = webUiOf({ TEMPORAL_UI_URL: uiUrl }, { address: env.address, namespace: 'default' });
    await page.goto(ui!.workflow(job.workflowId, job.firstExecutionRunId));
    await page.getByText('User Metadata', { exact: true }).click();
    await framesTextOnceItShows(page, ['List the members of the Slack user group support-triagers']);
  });

  it('says on its timer what the rotation waits for, and on each activity what it does', async () => {
    // The history first (what any dashboard reads), then the page.
    const { events } = await env.client.workflow.getHandle('team-roles/support-triager').fetchHistory();
    const summaries = (events ?? []).flatMap((event) => {
      const data = event.userMetadata?.summary?.data;
      return data ? [JSON.parse(Buffer.from(data).toString('utf8')) as string] : [];
    });
    const timer = summaries.find((text) => text.startsWith('until the notice for '));
    assert.ok(timer, `a timer says what it waits for; the summaries are ${JSON.stringify(summaries)}`);
    assert.ok(summaries.includes('read the Slack group support-triagers'), JSON.stringify(summaries));

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${uiUrl}/namespaces/default/workflows`);
    await page.getByText('team-roles/support-triager').first().click();
    await framesTextOnceItShows(page, [timer, 'read the Slack group support-triagers']);
    await page.screenshot({ path: path.join(ARTIFACTS, 'webui-timer-summary.png'), fullPage: true });
  });

  it('shows the search attributes, and a dashboard query by TeamRole finds the rotation', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${uiUrl}/namespaces/default/workflows`);
    await page.getByText('team-roles/support-triager').first().click();
    await page.getByText('Search Attributes', { exact: true }).click();
    const text = await visibleTextOnceItShows(page, '"TeamRole"');
    assert.match(text, /"TeamRole":\s*"support-triager"/);
    assert.match(text, /"IncomingMember":\s*"Ben"/);
    assert.match(text, /"CurrentMember":\s*"Ava"/);
    assert.match(text, /"NextHandoverAt":\s*"\d{4}-\d{2}-\d{2}T10:00:00.000Z"/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'webui-search-attributes.png'), fullPage: true });

    const query = encodeURIComponent('TeamRole="support-triager" AND CurrentMember="Ava"');
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${query}`);
    await page.getByText('team-roles/support-triager').first().waitFor({ timeout: 30_000 });
  });
});

/** The visible text of the page and its frames, once it contains every one of `needles`. */
async function framesTextOnceItShows(page: Page, needles: string[]): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const texts = await Promise.all(
      page.frames().map((frame) =>
        frame
          .locator('body')
          .innerText({ timeout: 2_000 })
          .catch(() => ''),
      ),
    );
    const text = texts.join('\n').replace(/\s+/g, ' ');
    if (needles.every((needle) => text.includes(needle))) return text;
    if (Date.now() > deadline) throw new Error(`the Web UI never showed ${JSON.stringify(needles)}; it shows: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The page's visible text, once it contains `needle` (the JSON views are editors, not plain elements). Polled from
 * here: `page.waitForFunction` compiles its predicate in the page, which the Web UI's Content-Security-Policy (no
 * 'unsafe-eval') refuses.
 */
function visibleTextOnceItShows(page: Page, needle: string): Promise<string> {
  return waitFor(
    `the page to show ${needle}`,
    async () => {
      const text = await page.locator('body').innerText();
      return text.includes(needle) && text;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
}
