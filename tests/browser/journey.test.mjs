// Homeward's caseworker pages in a real browser: Debian's Chromium driven headless by
// playwright-core against `homeward serve --demo --test-clock` on loopback.
//
// One server, one browser. Every request the pages make is intercepted: anything not addressed
// to the loopback server is recorded, refused and fails the run. Every main page is checked with
// axe-core (WCAG 2.0/2.1 A and AA), its skip link must be the first thing Tab reaches, and it is
// photographed full-page at a laptop width (1280) and a phone width (390) into
// target/browser/screenshots/, where it must also fit the phone's width without sideways scroll.
//
// Then the journey: a social worker records a new absence, reports it to police with a risk
// grade and sees the obligations with their citations; the test clock passes 24 hours and the
// 24-hour escalation appears; the child is found and returns, the return interview is offered
// and completed, and a team manager signs it off. On the way: an invalid event shows the GOV.UK
// error summary linked to the field and saves nothing, another authority's child is not
// reachable by URL, and a mistyped address answers the "Page not found" page.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const BINARY = process.env.HOMEWARD_BIN ?? path.join(ROOT, "target/debug/homeward");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = path.join(ROOT, "target/browser/screenshots");
const AXE = require.resolve("axe-core/axe.min.js");
// A Monday morning in winter (UK time = UTC): the demo partnership is generated around it.
const START = "2026-03-02T09:00:00Z";
const PASSWORD = "homeward-demo";
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
/** A valid 1×1 PNG (synthetic: no child's photo is in the tests). */
const ONE_PIXEL_PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

let server;
let serverLog = "";
let scratch;
let base;
let context;
let page;
/** Every request addressed anywhere but the loopback server. */
const external = [];
/** What was checked, for the summary line. */
const checked = { pages: new Set(), axe: 0, screenshots: 0 };
/** What a page got wrong (accessibility, phone width): reported together at the end, so one
 * page's defect does not hide the next page's. */
const problems = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForHealth(deadlineMs) {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    if (server.exitCode !== null) {
      throw new Error(`homeward exited with ${server.exitCode}:\n${serverLog}`);
    }
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer from ${base}/healthz:\n${serverLog}`);
}

function stopServer() {
  if (server && server.exitCode === null) {
    server.kill("SIGKILL");
  }
}
process.on("exit", stopServer);
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopServer();
    process.exit(1);
  });
}

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const f of fs.readdirSync(SHOTS)) fs.rmSync(path.join(SHOTS, f));
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "homeward-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(
    BINARY,
    [
      "serve",
      "--demo",
      "--test-clock",
      START,
      "--bind",
      `127.0.0.1:${port}`,
      "--database",
      `sqlite://${path.join(scratch, "db")}`,
      // Notifications go to the scratch folder, not into the checkout.
      "--mailbox",
      path.join(scratch, "mailbox"),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout.on("data", (d) => (serverLog += d));
  server.stderr.on("data", (d) => (serverLog += d));
  await waitForHealth(60_000);

  // A fresh profile each run (playwright passes it as --user-data-dir).
  context = await chromium.launchPersistentContext(path.join(scratch, "chromium"), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: LAPTOP,
    locale: "en-GB",
    timezoneId: "Europe/London",
  });
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(`${base}/`) || url === base) {
      return route.continue();
    }
    external.push(url);
    return route.abort("blockedbyclient");
  });
  page = context.pages()[0] ?? (await context.newPage());
  // The pages' own clock (live countdowns) follows the server's test clock.
  await page.clock.setFixedTime(new Date(START));
  // The guard works: a request outside the server is recorded and refused.
  const probe = await context.newPage();
  const reached = await probe.goto("https://www.gov.uk/").then(() => true, () => false);
  await probe.close();
  assert.equal(reached, false, "a request outside the server got through");
  assert.deepEqual(external, ["https://www.gov.uk/"]);
  external.length = 0;
});

after(async () => {
  try {
    await context?.close();
  } finally {
    stopServer();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    console.log(
      `browser checks: ${checked.pages.size} pages, ${checked.axe} axe runs, ${checked.screenshots} screenshots in ${SHOTS}`,
    );
  }
});

async function go(url) {
  const response = await page.goto(`${base}${url}`);
  return response;
}

/** The axe-core violations of the page, as readable lines. */
async function axeViolations() {
  if (!(await page.evaluate(() => typeof window.axe !== "undefined"))) {
    await page.addScriptTag({ path: AXE });
  }
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
    WCAG,
  );
  checked.axe += 1;
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`,
  );
}

/** Chromium draws at most 16,384 pixels down; a longer page is photographed from the top. */
const MAX_SHOT_HEIGHT = 16_000;

async function screenshot(name) {
  const { width, height } = await page.evaluate(() => ({
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  }));
  const clip = height > MAX_SHOT_HEIGHT ? { x: 0, y: 0, width, height: MAX_SHOT_HEIGHT } : undefined;
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, clip });
}

/**
 * Checks the page that is showing as a main page called `name`: no external request, zero axe
 * violations, the skip link first in the tab order and leading to the main content, no sideways
 * scroll at phone width, and full-page screenshots at both widths.
 */
async function checkPage(name) {
  await page.waitForLoadState("load");
  assert.deepEqual(external, [], `${name}: requests outside the server`);

  for (const v of await axeViolations()) problems.push(`${name}: axe: ${v}`);

  // Tab from the very start of the document (a page may have moved focus, as the error
  // summary does): a momentary unfocusable-by-Tab marker at the top is the starting point.
  await page.evaluate(() => {
    const start = document.createElement("span");
    start.tabIndex = -1;
    document.body.prepend(start);
    start.focus();
    start.remove();
    window.scrollTo(0, 0);
  });
  await page.keyboard.press("Tab");
  const first = await page.evaluate(() => {
    const el = document.activeElement;
    return { cls: el?.className ?? "", href: el?.getAttribute("href") ?? "", text: el?.textContent?.trim() ?? "" };
  });
  if (!/govuk-skip-link/.test(first.cls) || first.href !== "#main-content") {
    problems.push(`${name}: the first focusable element is not the skip link to #main-content: ${JSON.stringify(first)}`);
  }
  if ((await page.locator("#main-content").count()) !== 1) problems.push(`${name}: no #main-content`);
  // A focused GOV.UK skip link pushes the page down; blur it so later clicks land where aimed.
  await page.evaluate(() => document.activeElement?.blur());

  await screenshot(`${name}-1280`);
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await screenshot(`${name}-390`);
  await page.setViewportSize(LAPTOP);
  checked.screenshots += 2;
  checked.pages.add(name);
  if (overflow > 0) problems.push(`${name}: ${overflow}px wider than a 390px phone screen`);
}

async function signIn(username) {
  await go("/sign-in");
  await page.fill("#username", username);
  await page.fill("#password", PASSWORD);
  await Promise.all([page.waitForURL(`${base}/my-work`), page.click("button:has-text('Sign in')")]);
}

async function signOut() {
  await Promise.all([page.waitForURL(/\/sign-in$/), page.click("button:has-text('Sign out')")]);
}

/** JSON from the API with the browser's session (GET needs no CSRF header). */
async function api(url) {
  const r = await page.request.get(`${base}${url}`);
  assert.equal(r.status(), 200, `${url}: ${await r.text()}`);
  return r.json();
}

async function moveClock(body) {
  const r = await page.request.post(`${base}/test/clock`, { data: body });
  assert.equal(r.status(), 200, await r.text());
  const moved = await r.json();
  await page.clock.setFixedTime(new Date(moved.now));
  return moved;
}

/** The obligation rows of the page: rule ID and status. */
async function obligations() {
  return page.$$eval("tr[data-rule-id]", (rows) =>
    rows.map((r) => ({ rule: r.getAttribute("data-rule-id"), status: r.getAttribute("data-status"), text: r.textContent })),
  );
}

async function timelineRows() {
  return page.locator("#timeline tbody tr").count();
}

/** Opens the event form of `kind` on the episode page, fills it and submits it. */
async function recordEvent(kind, fields = {}) {
  const form = page.locator(`#form-${kind}`);
  if (!(await form.evaluate((d) => d.open))) {
    await form.locator("summary").click();
  }
  for (const [name, value] of Object.entries(fields)) {
    const input = page.locator(`#${kind}-${name}`);
    const tag = await input.evaluate((e) => `${e.tagName}:${e.type}`);
    if (tag === "SELECT:select-one") await input.selectOption(value);
    else if (tag === "INPUT:radio") await page.locator(`#${kind}-${name}${value === "no" ? "-no" : ""}`).check();
    else await input.fill(value);
  }
  await Promise.all([page.waitForLoadState("load"), form.locator("button[type=submit]").click()]);
  await page.waitForLoadState("load");
}

/** A looked-after Newham child with no episode open, from the API. */
async function newhamChildInCare() {
  const list = await api("/api/v1/children?per_page=200");
  for (const c of list.items) {
    const t = await api(`/api/v1/children/${c.id}/timeline`);
    const p = t.child.placement;
    const returned = t.episodes.every((e) => e.events.some((x) => x.event.type === "returned"));
    if (p && p.responsible_authority === "NEWHAM" && p.legal_status !== "none" && returned) {
      return t.child;
    }
  }
  throw new Error("no looked-after Newham child without an open episode in the demo");
}

test("sign-in page", async () => {
  await go("/my-work");
  assert.match(page.url(), /\/sign-in$/, "a signed-out visit goes to sign-in");
  await checkPage("sign-in");
  // A wrong password: the error summary links to the field, nobody is signed in.
  await page.fill("#username", "social-worker.newham");
  await page.fill("#password", "wrong");
  await page.click("button:has-text('Sign in')");
  await page.waitForLoadState("load");
  assert.match(page.url(), /\/sign-in$/);
  assert.equal(await page.locator(".govuk-error-summary").count(), 1, "no error summary after a wrong password");
  await checkPage("sign-in-error");
});

test("caseworker journey", async (t) => {
  let child;
  let episodeUrl;
  /** The test clock as a datetime-local value (UK time; winter, so the same as UTC). */
  let localNow = START.slice(0, 16);
  // Each step needs the ones before it: after a failure the rest are skipped, not run blind.
  let failed = false;
  const step = (name, fn) =>
    t.test(name, async (s) => {
      if (failed) return s.skip("an earlier step failed");
      try {
        await fn();
      } catch (e) {
        failed = true;
        throw e;
      }
    });

  await step("lists: my work, missing now, weekly meeting, children, charts, patterns", async () => {
    await signIn("social-worker.newham");
    await checkPage("my-work");
    for (const [url, name] of [
      ["/missing-now", "missing-now"],
      ["/weekly", "weekly"],
      ["/children", "children"],
      ["/charts", "charts"],
    ]) {
      const r = await go(url);
      assert.equal(r.status(), 200, `${url}`);
      await checkPage(name);
    }
    // The charts are images the page loads from this server, each with its table of figures.
    const images = await page.$$eval("main img", (imgs) => imgs.map((i) => ({ src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0 })));
    assert.equal(images.length, 3, JSON.stringify(images));
    assert.ok(images.every((i) => i.ok), `charts not drawn: ${JSON.stringify(images)}`);
    assert.equal(await page.locator("main table").count(), 3);

    // The patterns page: its charts are drawn inline, each beside its table of figures.
    const r = await go("/patterns");
    assert.equal(r.status(), 200, "/patterns");
    assert.equal(await page.locator('nav a[href="/patterns"][aria-current="page"]').count(), 1, "Patterns is not the current menu item");
    await checkPage("patterns");
    assert.equal(await page.locator('main svg[role="img"]').count(), 2);
    assert.equal(await page.locator("main .hw-table-scroll[tabindex='0'] table").count(), 4);
  });

  await step("upload a photo, record a new absence, report it to police with risk, see obligations with citations", async () => {
    child = await newhamChildInCare();
    const r = await go(`/children/${child.id}`);
    assert.equal(r.status(), 200);
    assert.equal(await page.locator("h1").innerText(), child.name);
    await checkPage("child");

    // A photo for the police pack: uploaded on the child's page and shown there.
    const details = page.locator("details:has(#photo-file)");
    await details.locator("summary").click();
    await page.setInputFiles("#photo-file", {
      name: "photo.png",
      mimeType: "image/png",
      buffer: Buffer.from(ONE_PIXEL_PNG, "base64"),
    });
    await page.fill("#taken_on", "2026-02-20");
    await Promise.all([page.waitForLoadState("load"), page.click("button:has-text('Upload photo')")]);
    await page.waitForLoadState("load");
    assert.equal(await page.locator(".govuk-error-summary").count(), 0, await page.locator("main").innerText());
    const photo = page.locator("img.hw-photo");
    assert.equal(await photo.count(), 1, "the photo is not shown");
    await photo.evaluate((img) => img.decode());
    assert.equal(await photo.evaluate((img) => img.naturalWidth), 1);

    await Promise.all([page.waitForURL(/\/episodes\/\d+$/), page.click("button:has-text('Record a new absence')")]);
    episodeUrl = new URL(page.url()).pathname;
    assert.equal(await timelineRows(), 0);

    await recordEvent("absence_noticed", { status: "missing", whereabouts_known: "no", contactable: "no" });
    await recordEvent("reported_missing", { to: "Metropolitan Police", police_ref: "BROWSER-1" });
    await recordEvent("risk_graded", { level: "medium" });
    assert.equal(await page.locator(".govuk-error-summary").count(), 0, await page.locator("main").innerText());
    assert.equal(await timelineRows(), 3);

    const rows = await obligations();
    const rules = rows.map((o) => o.rule);
    assert.ok(rules.includes("NEWHAM-STRAT-24H"), `no strategy meeting obligation in ${rules}`);
    assert.ok(!rules.includes("NEWHAM-ESC-LAC-24H"), "the 24-hour escalation is there before 24 hours");
    // Each obligation shows the paragraph of the protocol it comes from.
    const strat = page.locator('tr[data-rule-id="NEWHAM-STRAT-24H"]').first();
    assert.match(await strat.innerText(), /NEWHAM-STRAT-24H: .*§/);
    await checkPage("episode");
  });

  await step("an invalid event shows the error summary and saves nothing", async () => {
    const before = (await api(`/api/v1/children/${child.id}/timeline`)).episodes.flatMap((e) => e.events).length;
    const rows = await timelineRows();
    await recordEvent("reported_missing", { to: "" });
    const summary = page.locator(".govuk-error-summary");
    assert.equal(await summary.count(), 1, "no error summary");
    const link = summary.locator("a").first();
    const target = await link.getAttribute("href");
    assert.equal(target, "#reported_missing-to");
    assert.equal(await page.locator("#reported_missing-to-error").count(), 1, "no error message at the field");
    await link.click();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "reported_missing-to", "the summary link does not reach the field");
    assert.equal(await timelineRows(), rows, "the timeline changed");
    const after = (await api(`/api/v1/children/${child.id}/timeline`)).episodes.flatMap((e) => e.events).length;
    assert.equal(after, before, "an event was saved");
    await checkPage("episode-error");
  });

  await step("the 24-hour escalation appears once the test clock passes 24 hours", async () => {
    const moved = await moveClock({ advance: "PT24H30M" });
    assert.equal(moved.now, "2026-03-03T09:30:00+00:00");
    localNow = moved.now.slice(0, 16);
    // A day later the session has expired, as it would have for the worker.
    await go(episodeUrl);
    assert.match(page.url(), /\/sign-in$/, "the session outlived the test clock's day");
    await signIn("social-worker.newham");
    await go(episodeUrl);
    const escalation = (await obligations()).filter((o) => o.rule === "NEWHAM-ESC-LAC-24H");
    assert.equal(escalation.length, 1, `no 24-hour escalation in ${JSON.stringify(await obligations())}`);
    assert.notEqual(escalation[0].status, "done");
    // On a laptop the obligation table, discharge toggles included, fits the page's column.
    const hidden = await page.$eval('.hw-table-scroll[aria-label="Obligations"]', (r) => r.scrollWidth - r.clientWidth);
    assert.equal(hidden, 0, `the obligation table is ${hidden}px wider than its column at 1280px`);
    await checkPage("episode-24h");
  });

  await step("found and returned", async () => {
    localNow = (await moveClock({ advance: "PT2H" })).now.slice(0, 16);
    await go(episodeUrl);
    await recordEvent("located", { where: "a friend's flat" });
    await recordEvent("returned");
    assert.equal(await page.locator(".govuk-error-summary").count(), 0, await page.locator("main").innerText());
    assert.match(await page.locator("main dl").first().innerText(), /Found/);
  });

  let interviewUrl;
  await step("return interview offered, then completed within 72 hours", async () => {
    await go(episodeUrl);
    assert.ok((await obligations()).some((o) => o.rule === "NEWHAM-RHI-72H"), "no 72-hour return interview obligation");
    await Promise.all([page.waitForURL(/\/interviews\/new$/), page.click("a:has-text('Record a return interview')")]);
    await checkPage("interview-new");
    await page.check("#outcome");
    await page.fill("#at", localNow);
    await page.fill("#interviewer", "Sam Lee, return interview worker");
    await Promise.all([page.waitForURL(/\/interviews\/\d+$/), page.click("button:has-text('Save interview')")]);
    assert.match(await page.locator("main").innerText(), /Offered/);

    const moved = await moveClock({ advance: "PT3H" });
    localNow = moved.now.slice(0, 16);
    await go(`${episodeUrl}/interviews/new`);
    await page.check("#outcome-completed");
    await page.fill("#at", localNow);
    await page.fill("#interviewer", "Sam Lee, return interview worker");
    await page.selectOption("#mode", "in_person");
    await page.fill("#push_factors", "Arguments at the placement about phone use");
    await page.fill("#pull_factors", "Wanted to see an older friend");
    await Promise.all([page.waitForURL(/\/interviews\/\d+$/), page.click("button:has-text('Save interview')")]);
    interviewUrl = new URL(page.url()).pathname;
    assert.match(await page.locator("main").innerText(), /Completed[\s\S]*Not signed off/);
    await checkPage("interview");
    await go(episodeUrl);
    assert.ok(!(await obligations()).some((o) => o.rule === "NEWHAM-RHI-72H"), "the 72-hour interview is still owed after it was held");
  });

  await step("a meeting with an action", async () => {
    await go(`${episodeUrl}/meetings/new`);
    await checkPage("meeting-new");
    await page.selectOption("#meeting_type", "strategy");
    await page.fill("#held_at", localNow);
    await page.fill("#chair", "Team manager, Newham");
    await page.fill("#attendees", "Social worker, Police, Return interview worker");
    await page.fill("#decisions", "Safety plan agreed with the placement");
    await page.fill("#action-1-description", "Share the safety plan with the police");
    await page.fill("#action-1-owner", "Social worker");
    await Promise.all([page.waitForURL(/\/meetings\/\d+$/), page.click("button:has-text('Save meeting')")]);
    await checkPage("meeting");
    await go(episodeUrl);
    assert.ok((await obligations()).some((o) => o.rule === "MEETING-ACTION"), "the meeting action is not tracked on the episode");
  });

  await step("printable Leadership Alert, Strategic Missing Person Notification and police pack", async () => {
    for (const [url, name] of [
      [`${episodeUrl}/print/leadership-alert`, "leadership-alert"],
      [`${episodeUrl}/print/strategic-notification`, "strategic-notification"],
      [`/children/${child.id}/print/police-pack`, "police-pack"],
    ]) {
      const r = await go(url);
      assert.equal(r.status(), 200, url);
      assert.ok((await page.locator("main").innerText()).includes(child.name), `${name} does not name the child`);
      await checkPage(name);
    }
  });

  await step("a team manager signs the interview off", async () => {
    await signOut();
    await signIn("team-manager.newham");
    await go(interviewUrl);
    await Promise.all([page.waitForURL(new RegExp(`${interviewUrl}$`)), page.click("button:has-text('Sign off interview')")]);
    assert.match(await page.locator("main").innerText(), /Signed off/);
    assert.equal(await page.locator("button:has-text('Sign off interview')").count(), 0);
    await checkPage("interview-signed-off");
  });

  await step("another authority's child is not reachable by URL", async () => {
    await signOut();
    await signIn("social-worker.lancashire");
    const list = await api("/api/v1/children?per_page=200");
    let foreign;
    for (const c of list.items) {
      const tl = await api(`/api/v1/children/${c.id}/timeline`);
      const involved = [tl.child.placement?.responsible_authority, tl.child.placement?.host_authority]
        .concat(tl.episodes.flatMap((e) => [e.responsible_authority, e.host_authority, e.finder_authority]));
      if (!involved.includes("NEWHAM")) {
        foreign = tl.child;
        break;
      }
    }
    assert.ok(foreign, "no Lancashire child outside Newham");
    await signOut();
    await signIn("social-worker.newham");
    const r = await go(`/children/${foreign.id}`);
    assert.equal(r.status(), 404);
    const text = await page.locator("body").innerText();
    assert.ok(!text.includes(foreign.name), "the page names the child");
    assert.ok(!text.includes(foreign.dob), "the page shows the child's date of birth");
    const apiAnswer = await page.request.get(`${base}/api/v1/children/${foreign.id}/timeline`);
    assert.equal(apiAnswer.status(), 404);
    await checkPage("not-found");

    // A mistyped address: the GOV.UK "Page not found" page, not a blank answer.
    const unknown = await go("/no-such-page");
    assert.equal(unknown.status(), 404);
    assert.equal(await page.locator("h1").innerText(), "Page not found");
    await checkPage("page-not-found");
  });
});

test("every page: nothing requested outside the server, no axe violations, skip link first, fits a phone", () => {
  assert.ok(checked.pages.size >= 20, `only ${checked.pages.size} pages checked: ${[...checked.pages]}`);
  assert.deepEqual(external, [], "requests outside the server");
  assert.deepEqual(problems, [], `${problems.length} problems in the pages`);
});
