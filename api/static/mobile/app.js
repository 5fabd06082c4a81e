// The inspector's form: sign in, my tasks, one case, record the visit, send (or queue) it.
// Plain JavaScript, no build step; every file comes from ecogrid itself.
"use strict";

const I18N = {
  zh: {
    title: "现场检查", sign_in: "登录", username: "用户名", password: "密码", sign_out: "退出",
    my_tasks: "我的任务", no_tasks: "暂无待办任务", due: "期限", overdue: "已超期", away: "距离",
    waiting: "待发送", retry: "重试", offline: "离线", complaints: "投诉内容", suspects: "疑似污染源",
    no_suspects: "附近无登记污染源", noise_class: "声环境功能区", start: "开始检查",
    started: "检查开始于", position_unknown: "未能获取位置", photos: "现场照片", add_photo: "拍照 / 选择照片",
    readings: "监测数据", add_reading: "添加监测数据", parameter: "监测项目", value: "数值", unit: "单位",
    measured_at: "监测时间", background: "背景值（可选）", instrument: "仪器（可选）", findings: "检查情况",
    conclusion: "检查结论", problem_confirmed: "问题属实", not_confirmed: "问题不属实",
    source_identified: "已查明污染源", source: "污染源", submit: "提交", remove: "删除",
    saved: "已提交，服务器已保存", queued: "已保存在手机上，联网后自动发送", sign_in_failed: "用户名或密码错误",
    need_sign_in: "请重新登录后发送待发送记录", rejected: "服务器拒收", back: "返回任务列表",
    exceeded: "超标", within: "达标", loading: "加载中…", pick_source: "请选择污染源", m: "米", km: "公里",
    drafts: "未提交的检查（草稿）", resume: "继续", discard: "丢弃", confirm_discard: "确认丢弃",
    draft_saved: "草稿已保存在手机上", photo_count: "张照片", reading_count: "条数据", earlier: "历次检查",
    no_earlier: "尚无检查记录", waiting_send: "待发送", sent_at: "已发送", limit: "限值", excess: "超出",
    standard: "标准", not_judged: "未判定", remeasure: "需重新测量", day: "昼间", night: "夜间",
    address: "地址", address_of: "登记地址", no_address: "无登记地址，请按坐标导航", navigate: "导航",
    amap: "高德地图", tencent: "腾讯地图", baidu: "百度地图", geo_app: "其他地图应用", you: "我的位置",
    sort_due: "按期限", sort_distance: "按距离", offline_now: "离线：无网络连接，记录会保存在手机上",
    offline_case: "离线：此案件未在本机缓存。请联网后打开，或在联网时点“离线准备”。",
    network_failed: "网络不通，未能连接服务器", prepare: "离线准备", prepared: "已缓存供离线使用",
    waiting_cases: "等待发送", sent_list: "最近已发送", inspection_word: "次检查", photos_left: "张照片未发送",
    all_sent: "全部已发送", remove_photo: "删除照片", point: "测点", point_boundary: "边界（厂界/场界）",
    point_environment: "敏感点（声环境）", point_default: "按类别默认", rectify: "责令整改",
    requirement: "整改要求", rectify_due: "整改期限", reply: "办结回复", summary: "办理结果",
    send_now: "提交", action_done: "已提交", basis: "依据",
    recheck_needed: "已责令整改，待复查：整改后到现场复查并提交检查，再办结回复",
    conclusion_problem_confirmed: "问题属实", conclusion_not_confirmed: "问题不属实",
    conclusion_source_identified: "已查明污染源", route: "今日巡查路线", stops: "站点", stop_done: "已检查",
    distance_line: "直线距离", patrol: "巡查", server_says: "服务器：", action_word: "项操作",
    after_earlier: "等待此案件前一项发送成功后再发送", action_queued: "已保存在手机上，联网后按顺序发送",
    campaign: "专项行动", no_campaign: "不属于专项行动",
  },
  en: {
    title: "Field inspection", sign_in: "Sign in", username: "User name", password: "Password",
    sign_out: "Sign out", my_tasks: "My tasks", no_tasks: "No open tasks", due: "Due", overdue: "overdue",
    away: "Distance", waiting: "Waiting", retry: "Retry", offline: "offline", complaints: "Complaints",
    suspects: "Suspected sources", no_suspects: "No registered source nearby", noise_class: "Noise zone class",
    start: "Start inspection", started: "Started at", position_unknown: "Position not available",
    photos: "Photos", add_photo: "Take / choose photos", readings: "Readings", add_reading: "Add a reading",
    parameter: "Parameter", value: "Value", unit: "Unit", measured_at: "Measured at",
    background: "Background (optional)", instrument: "Instrument (optional)", findings: "Findings",
    conclusion: "Conclusion", problem_confirmed: "Problem confirmed", not_confirmed: "Not confirmed",
    source_identified: "Source identified", source: "Source", submit: "Submit", remove: "Remove",
    saved: "Submitted and stored by the server", queued: "Saved on this phone; it will be sent when online",
    sign_in_failed: "Wrong user name or password", need_sign_in: "Sign in again to send what is waiting",
    rejected: "Refused by the server", back: "Back to my tasks", exceeded: "over the limit",
    within: "within the limit", loading: "Loading…", pick_source: "Choose the source", m: "m", km: "km",
    drafts: "Unsent visits (drafts)", resume: "Resume", discard: "Discard", confirm_discard: "Really discard",
    draft_saved: "Draft kept on this phone", photo_count: "photos", reading_count: "readings",
    earlier: "Earlier visits", no_earlier: "No visit yet", waiting_send: "waiting", sent_at: "sent",
    limit: "limit", excess: "excess", standard: "standard", not_judged: "not judged", remeasure: "measure again",
    day: "day", night: "night", address: "Address", address_of: "registered address",
    no_address: "No registered address: navigate by coordinates", navigate: "Navigate", amap: "Amap",
    tencent: "Tencent Maps", baidu: "Baidu Maps", geo_app: "Other map app", you: "You",
    sort_due: "By due time", sort_distance: "By distance",
    offline_now: "Offline: no network; records stay on this phone",
    offline_case: "Offline: this case is not stored on this phone. Open it online, or tap Prepare offline first.",
    network_failed: "No network: the server could not be reached", prepare: "Prepare offline",
    prepared: "stored for offline use", waiting_cases: "Waiting to be sent", sent_list: "Recently sent",
    inspection_word: "visit", photos_left: "photos not sent", all_sent: "All sent", remove_photo: "Remove photo",
    point: "Point", point_boundary: "Boundary", point_environment: "Sensitive point (environment)",
    point_default: "Category default", rectify: "Order rectification", requirement: "Requirement",
    rectify_due: "Deadline", reply: "Reply", summary: "Result", send_now: "Submit", action_done: "Submitted",
    basis: "basis",
    recheck_needed: "Rectification ordered, re-check pending: inspect the site again and submit the visit, then reply",
    conclusion_problem_confirmed: "Problem confirmed", conclusion_not_confirmed: "Not confirmed",
    conclusion_source_identified: "Source identified", route: "Today's patrol route", stops: "stops", stop_done: "done",
    distance_line: "Straight-line distance", patrol: "Patrol", server_says: "server: ", action_word: "action",
    after_earlier: "waits until this case's earlier item is sent", action_queued: "Saved on this phone; sent in order when online",
    campaign: "Special campaign", no_campaign: "Not for a campaign",
  },
};

const TOKEN_KEY = "ecogrid.m.token";
const LANG_KEY = "ecogrid.m.lang";
const VOCAB_KEY = "ecogrid.m.vocabulary";
const DRAFT_PREFIX = "ecogrid.m.draft.";
const SORT_KEY = "ecogrid.m.sort";
const SENT_KEY = "ecogrid.m.sent";
const CACHE_NAME = "ecogrid-m-v5";

let lang = localStorage.getItem(LANG_KEY) || ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en");
let vocabulary = JSON.parse(localStorage.getItem(VOCAB_KEY) || "null");
let currentMap = null;
let baseMap = JSON.parse(localStorage.getItem("ecogrid.m.basemap") || "null");
let flushing = null;
// Each navigation counts up; a view still loading when the inspector has moved on draws nothing.
let routeSeq = 0;

const $ = (selector, root = document) => root.querySelector(selector);
const t = (key) => (I18N[lang] && I18N[lang][key]) || I18N.en[key] || key;

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function label(code) {
  const entry = vocabulary && vocabulary.labels && vocabulary.labels[code];
  return entry ? entry[lang] : code;
}

function parameterLabel(code) {
  const p = vocabulary && vocabulary.parameters && vocabulary.parameters.find((x) => x.code === code);
  return p ? (lang === "zh" ? p.label_zh : p.label) : code;
}

function statusLabel(code) {
  const entry = vocabulary && vocabulary.statuses && vocabulary.statuses[code];
  return entry ? entry[lang] : code;
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function formatDistance(metres) {
  if (metres === null || metres === undefined) return "";
  return metres >= 1000 ? `${(metres / 1000).toFixed(1)} ${t("km")}` : `${Math.round(metres)} ${t("m")}`;
}

function formatTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  // The year only when it is not this year: a deadline in January seen in December says so.
  const options = { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" };
  if (when.getFullYear() !== new Date().getFullYear()) options.year = "numeric";
  return when.toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", options);
}

function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function notice(text, isError = false) {
  const box = $("#notice");
  box.textContent = text;
  box.className = isError ? "notice error" : "notice";
  box.hidden = !text;
}

// --- server --------------------------------------------------------------------------------

class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : null;
  if (!response.ok) throw new HttpError(response.status, body);
  return body;
}

const CAMPAIGNS_KEY = "ecogrid.campaigns";

// The campaigns running today (Beijing days), asked for when online and kept on the phone for offline visits.
async function runningCampaigns() {
  let items;
  try {
    items = (await api("/api/v1/campaigns")).items.map((c) => ({ id: c.id, name: c.name, start_date: c.start_date,
                                                                end_date: c.end_date }));
    localStorage.setItem(CAMPAIGNS_KEY, JSON.stringify(items));
  } catch (error) {
    items = JSON.parse(localStorage.getItem(CAMPAIGNS_KEY) || "[]");
  }
  const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  return items.filter((c) => c.start_date <= today && today <= c.end_date);
}

function isNetworkError(error) {
  return error instanceof TypeError || (error && error.name === "TypeError");
}

function describeError(error) {
  if (isNetworkError(error)) return t("network_failed");
  if (error instanceof HttpError && error.body && Array.isArray(error.body.detail)) {
    return error.body.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  if (error instanceof HttpError && error.body && error.body.detail) return String(error.body.detail);
  return String(error.message || error);
}

function position(timeoutMs = 8000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({ lon: pos.coords.longitude, lat: pos.coords.latitude, accuracy: pos.coords.accuracy }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 60000 },
    );
  });
}

async function loadVocabulary() {
  try {
    vocabulary = await api("/api/v1/inspections/vocabulary");
    localStorage.setItem(VOCAB_KEY, JSON.stringify(vocabulary));
  } catch (error) {
    if (!vocabulary) throw error;
  }
}

// --- the outbox ------------------------------------------------------------------------------

function visitName(inspection, title) {
  return title || (inspection.case_id ? `#${inspection.case_id}` : `${t("patrol")} ${inspection.patrol_target_id}`);
}

// The outbox holds visits (an inspection and its photos) and workflow actions (责令整改, 办结回复) on a case.
const isAction = (entry) => entry.kind === "action";
const entryCaseId = (entry) => (isAction(entry) ? entry.case_id : entry.inspection.case_id);
const entryName = (entry) => (isAction(entry) ? `${entry.title || `#${entry.case_id}`} ${t(entry.action)}`
  : visitName(entry.inspection, entry.title));

function sentLog() {
  return JSON.parse(localStorage.getItem(SENT_KEY) || "[]");
}

function remember(entry, stored) {
  // What the server stored, kept short: the inspector sees per case that it went and what was judged.
  const log = sentLog();
  if (isAction(entry)) {
    log.unshift({ case_id: entry.case_id, title: entry.title || `#${entry.case_id}`, client_id: entry.client_id,
                  action: entry.action, sent_at: new Date().toISOString(),
                  status_label: stored && stored.status_label, due_at: entry.body.due_at || null });
    localStorage.setItem(SENT_KEY, JSON.stringify(log.slice(0, 50)));
    return;
  }
  log.unshift({
    case_id: entry.inspection.case_id, title: visitName(entry.inspection, entry.title), client_id: entry.client_id, inspection_id: entry.inspection_id,
    sent_at: new Date().toISOString(), photos: entry.photos.length,
    readings: (stored && stored.readings ? stored.readings : []).map((r) => ({
      parameter: r.parameter, value: r.value, unit: r.unit, exceeded: r.exceeded, verdict: r.verdict })),
  });
  localStorage.setItem(SENT_KEY, JSON.stringify(log.slice(0, 50)));
}

function setNet() {
  const net = $("#net");
  net.textContent = navigator.onLine ? "" : t("offline");
  net.className = navigator.onLine ? "net" : "net off";
  net.hidden = navigator.onLine;
}

async function refreshCount() {
  let count = 0;
  try {
    count = await Outbox.count();
  } catch (error) {
    count = 0;
  }
  $("#pending-count").textContent = String(count);
  $("#outbox").hidden = count === 0;
  setNet();
  const panel = $("#sync");
  if (panel) await fillSyncPanel(panel);
  return count;
}

async function sendEntry(entry) {
  if (isAction(entry)) {
    // The body carries the entry's client id: sent twice (a lost answer), the server takes it once.
    entry.answer = await api(`/api/v1/cases/${entry.case_id}/${entry.action}`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(entry.body) });
    remember(entry, entry.answer);
    await Outbox.remove(entry.client_id);
    return;
  }
  if (!entry.inspection_id) {
    const stored = await api("/api/v1/inspections", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(entry.inspection),
    });
    entry.inspection_id = stored.id;
    entry.stored = stored;
    await Outbox.put(entry);
  }
  for (const photo of entry.photos) {
    if (photo.done) continue;
    const form = new FormData();
    form.append("client_id", photo.client_id);
    form.append("file", photo.blob, photo.name || "photo.jpg");
    await api(`/api/v1/inspections/${entry.inspection_id}/photos`, { method: "POST", body: form });
    photo.done = true;
    await Outbox.put(entry);
  }
  remember(entry, entry.stored);
  await Outbox.remove(entry.client_id);
}

// Sends everything waiting, oldest first; stops at the first network failure (still offline).
function flushOutbox() {
  if (flushing) return flushing;
  flushing = (async () => {
    let sent = 0;
    let visitsOnly = true;
    let refused = false;
    let stopped = false;
    const entries = (await Outbox.all()).sort((a, b) => a.created_at.localeCompare(b.created_at));
    // A case whose earlier item was refused sends nothing after it: an order follows the visit it rests on.
    const held = new Set();
    for (const entry of entries) {
      const caseId = entryCaseId(entry);
      if (caseId && held.has(caseId)) continue;
      try {
        await sendEntry(entry);
        sent += 1;
        if (isAction(entry)) visitsOnly = false;
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) {
          notice(t("need_sign_in"), true);
          stopped = true;
          break;
        }
        if (error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 408
            && error.status !== 429) {
          // Kept, not dropped: a refused submission is still the inspector's record of the visit.
          entry.error = describeError(error);
          await Outbox.put(entry);
          notice(`${t("rejected")} ${entryName(entry)}: ${entry.error}`, true);
          refused = true;
          if (caseId) held.add(caseId);
          continue;
        }
        stopped = true;
        break;
      }
    }
    const left = await refreshCount();
    // The task list shows what each case is waiting for: drawn again once something went.
    if (sent && !/^#\/(case|stop)\//.test(location.hash) && localStorage.getItem(TOKEN_KEY)) route();
    if (sent && !refused && !stopped) {
      // The stale error of an earlier attempt goes; what was sent, and when, stays on the task list.
      notice(`${t("sent_at")} ${sent} ${t(visitsOnly ? "inspection_word" : "action_word")} · ${formatTime(new Date().toISOString())}`
             + (left ? ` · ${t("waiting")} ${left}` : ""));
    }
    return sent;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function fillSyncPanel(panel) {
  const waiting = (await Outbox.all()).sort((a, b) => a.created_at.localeCompare(b.created_at));
  const sent = sentLog().slice(0, 12);
  const rows = [];
  if (!navigator.onLine) rows.push(h("p", { class: "offline-line", text: t("offline_now") }));
  if (waiting.length) {
    rows.push(h("h3", { text: `${t("waiting_cases")} (${waiting.length})` }));
    rows.push(h("ul", { class: "waiting-list" }, waiting.map((e) => {
      if (isAction(e)) {
        return h("li", { "data-case-id": e.case_id, "data-action": e.action, class: "action" },
          `${entryName(e)} · ${formatTime(e.created_at)}`,
          e.error ? h("div", { class: "error-line", text: `${t("rejected")}: ${e.error}` }) : null);
      }
      const left = e.photos.filter((p) => !p.done).length;
      return h("li", { "data-case-id": e.inspection.case_id },
        `${visitName(e.inspection, e.title)} · ${formatTime(e.created_at)} · `,
        e.inspection_id ? `${left} ${t("photos_left")}` : `1 ${t("inspection_word")}, ${e.photos.length} ${t("photo_count")}`,
        e.error ? h("div", { class: "error-line", text: `${t("rejected")}: ${e.error}` }) : null);
    })));
  }
  if (sent.length) {
    rows.push(h("h3", { text: t("sent_list") }));
    rows.push(h("ul", { class: "sent-list" }, sent.map((s) => (s.action
      ? h("li", { "data-case-id": s.case_id, "data-action": s.action, class: "action" },
        `${s.title || `#${s.case_id}`} ${t(s.action)} · ${t("sent_at")} ${formatTime(s.sent_at)}`,
        s.status_label ? h("div", { class: "muted", text: `${t("server_says")}${s.status_label}` }) : null)
      : h("li", { "data-case-id": s.case_id },
        `${s.title || `#${s.case_id}`} · ${t("sent_at")} ${formatTime(s.sent_at)} · ${s.photos} ${t("photo_count")}`,
        s.readings.map((r) => h("div", { class: `muted${r.exceeded ? " over" : ""}` }, verdictText(r, false))))))));
  }
  panel.replaceChildren(...rows);
  panel.hidden = rows.length === 0;
}

// --- views ---------------------------------------------------------------------------------

function renderView(...nodes) {
  if (currentMap) {
    currentMap.remove();
    currentMap = null;
  }
  const view = $("#view");
  view.replaceChildren(...nodes);
}

function signInView() {
  $("#sign-out").hidden = true;
  const form = h("form", { class: "card", id: "sign-in-form" },
    h("h2", { text: t("sign_in") }),
    h("label", { for: "username", text: t("username") }),
    h("input", { id: "username", name: "username", autocomplete: "username", required: true }),
    h("label", { for: "password", text: t("password") }),
    h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password",
                 required: true }),
    h("button", { id: "sign-in", class: "primary", type: "submit", text: t("sign_in") }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new URLSearchParams({ username: $("#username").value, password: $("#password").value });
    try {
      const answer = await api("/api/v1/auth/token", { method: "POST", body });
      localStorage.setItem(TOKEN_KEY, answer.access_token);
      notice("");
      await Promise.all([loadVocabulary(), loadBaseMap()]);
      await flushOutbox();
      location.hash = "#/tasks";
      route();
    } catch (error) {
      notice(error instanceof HttpError && error.status === 401 ? t("sign_in_failed") : describeError(error), true);
    }
  });
  renderView(form);
}

function sortTasks(items, mode) {
  const due = (task) => (task.due_at ? Date.parse(task.due_at) : Infinity);
  const sorted = [...items];
  if (mode === "distance") {
    sorted.sort((a, b) => (a.distance_m ?? Infinity) - (b.distance_m ?? Infinity) || due(a) - due(b));
  } else {
    // Soonest due first, so whatever is overdue comes first, the longest overdue at the top.
    sorted.sort((a, b) => due(a) - due(b) || a.case_id - b.case_id);
  }
  return sorted;
}

async function draftsCard() {
  const drafts = (await Drafts.all()).sort((a, b) => (a.started_at || "").localeCompare(b.started_at || ""));
  if (!drafts.length) return null;
  return h("div", { class: "card", id: "drafts" }, h("h3", { text: t("drafts") }),
    drafts.map((d) => {
      const discard = h("button", { type: "button", class: "secondary discard", text: t("discard") });
      discard.addEventListener("click", async () => {
        // Two taps: a draft holds photos that cannot be taken again.
        if (discard.dataset.armed !== "1") {
          discard.dataset.armed = "1";
          discard.textContent = t("confirm_discard");
          return;
        }
        await Drafts.remove(d.key);
        route();
      });
      const stop = d.kind === "stop";
      return h("div", { class: "draft", "data-case-id": stop ? null : d.case_id, "data-stop-id": stop ? d.target_id : null },
        h("a", { href: stop ? `#/stop/${d.target_id}` : `#/case/${d.case_id}`, class: "resume" },
          h("strong", { text: d.title || `#${d.case_id}` }),
          ` ${t("started")} ${formatTime(d.started_at)} · ${d.photos.length} ${t("photo_count")} · `
          + `${d.readings.length} ${t("reading_count")} · ${t("resume")} ›`),
        discard);
    }));
}

async function prepareOffline(tasks, button) {
  // Case pages (with suspects) and the base map's tiles around each site go into the caches now,
  // so each can be opened and worked on later without a signal.
  button.disabled = true;
  let done = 0;
  for (const task of tasks) {
    try {
      const detail = await api(`/api/v1/inspections/tasks/${task.case_id}`);
      if (detail.location) await prefetchTiles(detail.location.coordinates);
      done += 1;
      button.textContent = `${t("prepare")} ${done}/${tasks.length}`;
    } catch (error) {
      notice(describeError(error), true);
      break;
    }
  }
  button.disabled = false;
  if (done === tasks.length) notice(`${done} ${t("prepared")}`);
}

function tileUrls(layer, lon, lat, zoom) {
  const n = 2 ** zoom;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  const urls = [];
  for (let dx = -1; dx <= 1; dx += 1) {
    for (let dy = -1; dy <= 1; dy += 1) {
      const s = layer.subdomains ? layer.subdomains[0] : "";
      urls.push(layer.url.replace("{s}", s).replace("{z}", zoom).replace("{x}", x + dx).replace("{y}", y + dy));
    }
  }
  return urls;
}

async function prefetchTiles([lon, lat]) {
  if (!baseMap || !baseMap.layers.length) return;
  const [dlon, dlat] = baseMap.crs === "gcj02" ? Coords.toGcj02(lon, lat) : [lon, lat];
  for (const layer of baseMap.layers) {
    for (const zoom of [15, 16, 17]) {
      // The service worker keeps what it sees; opaque answers are fine for <img> tiles.
      await Promise.all(tileUrls(layer, dlon, dlat, zoom).map((u) => fetch(u, { mode: "no-cors" }).catch(() => null)));
    }
  }
}

async function tasksView() {
  const mine = routeSeq;
  const render = (...nodes) => { if (mine === routeSeq) renderView(...nodes); };
  render(h("p", { class: "muted", text: t("loading") }));
  // The day's routes are asked for alongside the tasks, not after them: one round trip, not two.
  const patrolAsked = patrolCard();
  const here = await position(4000);
  const query = here ? `?lon=${here.lon}&lat=${here.lat}` : "";
  let tasks;
  try {
    tasks = await api(`/api/v1/inspections/tasks${query}`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return signOut();
    notice(isNetworkError(error) ? t("offline_now") : describeError(error), true);
    render(await draftsCard() || "", h("div", { class: "card", id: "sync", hidden: true }));
    await refreshCount();
    return;
  }
  const waitingCases = new Set((await Outbox.all()).map(entryCaseId));
  const draftCases = new Set((await Drafts.all()).map((d) => d.case_id));
  const mode = localStorage.getItem(SORT_KEY) || "due";
  const now = Date.now();
  const cards = sortTasks(tasks.items, mode).map((task) => h("a", {
    class: "card task", href: `#/case/${task.case_id}`, "data-case-id": task.case_id },
    h("div", {}, h("strong", { text: `#${task.case_id} ${label(task.category)}` }), " ",
      h("span", { class: "tag", text: statusLabel(task.status) }),
      task.exceedance ? h("span", { class: "tag over", text: t("exceeded") }) : null,
      waitingCases.has(task.case_id) ? h("span", { class: "tag warn", text: t("waiting_send") }) : null,
      draftCases.has(task.case_id) ? h("span", { class: "tag", text: t("drafts").replace(/（.*|\(.*/, "") }) : null),
    h("div", { class: "muted" },
      h("span", { class: "due", text: `${t("due")}: ${formatTime(task.due_at)}` }),
      task.due_at && Date.parse(task.due_at) < now ? h("span", { class: "tag over", text: t("overdue") }) : null,
      task.distance_m !== null ? h("span", { class: "distance", text: ` · ${t("away")} ${formatDistance(task.distance_m)}` }) : null),
    task.zone ? h("div", { class: "muted", text: task.zone }) : null));
  const switcher = h("div", { class: "switch", id: "sort", role: "group" },
    ["due", "distance"].map((m) => h("button", { type: "button", "data-sort": m, class: m === mode ? "on" : "",
      "aria-pressed": m === mode ? "true" : "false", text: t(`sort_${m}`),
      onclick: () => { localStorage.setItem(SORT_KEY, m); tasksView(); } })));
  const prepare = h("button", { id: "prepare", class: "secondary", type: "button", text: t("prepare") });
  const patrol = await patrolAsked;
  prepare.addEventListener("click", () => prepareOffline(tasks.items, prepare));
  render(await draftsCard() || "", h("div", { class: "card", id: "sync", hidden: true }), patrol || "",
    h("div", { class: "row" }, h("h2", { text: t("my_tasks") }), switcher),
    cards.length ? h("div", { id: "tasks" }, cards) : h("p", { class: "muted", id: "no-tasks", text: t("no_tasks") }),
    cards.length ? prepare : null);
  await refreshCount();
  // On Wi-Fi the open tasks are kept for offline use without asking.
  const link = navigator.connection;
  if (cards.length && link && link.type === "wifi") prepareOffline(tasks.items, prepare);
}

async function patrolCard() {
  // The day's routes: their stops in order, each opened like a case and done by its visit.
  let day;
  try {
    day = await api("/api/v1/inspections/patrol-day");
  } catch (error) {
    return null;
  }
  if (!day.routes.length) return null;
  return h("div", { class: "card", id: "patrol" }, day.routes.map((r) => h("div", { class: "route", "data-route-id": r.id },
    h("h3", { text: `${t("route")} · ${r.done}/${r.total} ${t("stop_done")}` }),
    h("ol", { class: "stops" }, r.stops.map((s) => h("li", { "data-stop-id": s.target_id, class: s.done ? "done" : "" },
      h("a", { href: `#/stop/${s.target_id}`, text: s.name }),
      s.address ? h("span", { class: "muted", text: ` · ${s.address}` }) : null,
      s.done ? h("span", { class: "tag", text: t("stop_done") }) : null))))));
}

function pointSelect(value) {
  return h("select", { class: "noise-point", "aria-label": t("point") },
    [["", t("point_default")], ["boundary", t("point_boundary")], ["environment", t("point_environment")]]
      .map(([v, text]) => h("option", { value: v, text, selected: v === (value || "") })));
}

function readingRow(saved, onChange) {
  const params = (vocabulary && vocabulary.parameters) || [];
  const paramSelect = h("select", { class: "parameter", "aria-label": t("parameter") },
    params.map((p) => h("option", { value: p.code, text: lang === "zh" ? p.label_zh : p.label,
                                    selected: p.code === saved.parameter })));
  const unitSelect = h("select", { class: "unit", "aria-label": t("unit") });
  const pointBox = h("div", { class: "wide point-box" }, h("label", { text: t("point") }), pointSelect(saved.noise_point));
  const fillUnits = (unit) => {
    const p = params.find((x) => x.code === paramSelect.value);
    unitSelect.replaceChildren(...(p ? p.units : []).map((u) => h("option", { value: u, text: u, selected: u === unit })));
    pointBox.hidden = !paramSelect.value.startsWith("noise_") || paramSelect.value === "noise_background";
  };
  paramSelect.addEventListener("change", () => fillUnits(null));
  fillUnits(saved.unit);
  const row = h("div", { class: "reading", "data-client-id": saved.client_id || newClientId() },
    h("div", { class: "wide" }, h("label", { text: t("parameter") }), paramSelect),
    h("div", {}, h("label", { text: t("value") }), h("input", { class: "value", type: "number", step: "any",
      inputmode: "decimal", required: true, value: saved.value ?? "" })),
    h("div", {}, h("label", { text: t("unit") }), unitSelect),
    pointBox,
    h("div", { class: "wide" }, h("label", { text: t("measured_at") }),
      h("input", { class: "measured-at", type: "datetime-local", value: saved.measured_at || localInputValue(new Date()) })),
    h("div", {}, h("label", { text: t("background") }), h("input", { class: "background", type: "number",
                                                                     step: "any", value: saved.background ?? "" })),
    h("div", {}, h("label", { text: t("instrument") }),
      h("input", { class: "instrument", value: saved.instrument || "" })),
    h("button", { type: "button", class: "secondary wide remove-reading", text: t("remove"),
                  onclick: () => { row.remove(); onChange(); } }));
  return row;
}

function readingState(row) {
  return {
    client_id: row.dataset.clientId,
    parameter: row.querySelector(".parameter").value,
    value: row.querySelector(".value").value,
    unit: row.querySelector(".unit").value,
    noise_point: row.querySelector(".point-box").hidden ? null : (row.querySelector(".noise-point").value || null),
    measured_at: row.querySelector(".measured-at").value,
    background: row.querySelector(".background").value,
    instrument: row.querySelector(".instrument").value,
  };
}

function readingPayload(state) {
  return {
    client_id: state.client_id,
    parameter: state.parameter,
    value: Number(state.value),
    unit: state.unit,
    noise_point: state.noise_point,
    // datetime-local is the phone's local time; sent with its offset so the server judges day/night right.
    measured_at: new Date(state.measured_at).toISOString(),
    background: state.background === "" ? null : Number(state.background),
    instrument: state.instrument.trim() || null,
  };
}

function verdictText(reading, withBasis = true) {
  const v = reading.verdict;
  const head = `${parameterLabel(reading.parameter)} ${reading.value} ${reading.unit || ""}`;
  if (!v) return head;
  if (v.judged === false) return `${head} · ${t("not_judged")} (${v.reason})`;
  if (v.remeasure) return `${head} · ${t("remeasure")} · ${v.standard}`;
  const limit = Array.isArray(v.limit) ? v.limit.join("–") : v.limit;
  const period = v.period ? ` ${t(v.period)}` : "";
  const outcome = v.exceeded ? `${t("exceeded")} ${t("excess")} ${v.excess} ${v.unit}` : t("within");
  const basis = lang === "zh" ? v.basis_zh : v.basis_en;
  return `${head} · ${t("limit")} ${limit} ${v.unit}${period} · ${outcome} · ${v.standard}`
    + (basis && withBasis ? ` · ${t("basis")}: ${basis}` : "");
}

async function authorisedImage(url, alt) {
  const img = h("img", { alt });
  try {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${localStorage.getItem(TOKEN_KEY)}` } });
    if (response.ok) img.src = URL.createObjectURL(await response.blob());
  } catch (error) {
    img.alt = `${alt} (${t("offline")})`;
  }
  return img;
}

async function earlierVisits(task) {
  const waiting = (await Outbox.all()).filter((e) => !isAction(e) && (task.target_id
    ? e.inspection.patrol_target_id === task.target_id : e.inspection.case_id === task.case_id));
  const items = [];
  for (const e of waiting) {
    items.push(h("li", { class: "visit waiting", "data-client-id": e.client_id },
      h("div", {}, h("span", { class: "tag warn", text: t("waiting_send") }), ` ${formatTime(e.created_at)} · `,
        e.inspection.conclusion ? t(`conclusion_${e.inspection.conclusion}`) : ""),
      e.inspection.findings ? h("div", { text: e.inspection.findings }) : null,
      e.inspection.readings.map((r) => h("div", { class: "muted reading-line" }, verdictText(r))),
      h("div", { class: "thumbs" }, e.photos.map((p) => h("img", { src: URL.createObjectURL(p.blob), alt: p.name || "" })))));
  }
  for (const i of [...(task.inspections || [])].reverse()) {
    const thumbs = await Promise.all(i.photos.map((p) => authorisedImage(p.thumbnails["320"], p.original_name || "")));
    items.push(h("li", { class: "visit", "data-inspection-id": i.id },
      h("div", {}, h("strong", { text: formatTime(i.submitted_at) }), " · ",
        i.conclusion ? t(`conclusion_${i.conclusion}`) : ""),
      i.findings ? h("div", { text: i.findings }) : null,
      i.readings.map((r) => h("div", { class: `muted reading-line${r.exceeded ? " over" : ""}` }, verdictText(r))),
      h("div", { class: "thumbs" }, thumbs)));
  }
  return h("div", { class: "card", id: "earlier" }, h("h3", { text: t("earlier") }),
    items.length ? h("ul", { class: "visits" }, items) : h("p", { class: "muted", text: t("no_earlier") }));
}

function findingCard(task, here) {
  const site = task.location ? { lon: task.location.coordinates[0], lat: task.location.coordinates[1] } : null;
  const name = (task.address && task.address.text) || task.title;
  const address = task.address
    ? h("div", { id: "address" }, h("strong", { text: task.address.text }),
      h("div", { class: "muted", text: `${task.address.of} · ${t("address_of")}` }))
    : h("div", { id: "address", class: "muted", text: t("no_address") });
  let links = null;
  if (site) {
    const urls = Coords.navigationLinks(site, here, name);
    links = h("div", { class: "nav-links", id: "navigate" }, h("span", { text: `${t("navigate")}:` }),
      ["amap", "tencent", "baidu", "geo"].map((app) => h("a", { class: `nav ${app}`, href: urls[app],
        text: app === "geo" ? t("geo_app") : t(app) })));
  }
  const distance = site && here
    ? h("div", { class: "muted", id: "way" }, `${t("distance_line")} ${formatDistance(haversine(here, site))}`) : null;
  return h("div", { class: "card", id: "site" }, h("h3", { text: t("address") }), address, distance, links);
}

function haversine(a, b) {
  const r = 6371008.8;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * r * Math.asin(Math.sqrt(s));
}

// 责令整改 and 办结回复 go through the outbox like visits: queued first (with their own client id, so a
// resend is taken once), sent in order after the visit before them, shown per case while they wait and
// with the server's answer once sent.
async function actionsCard(task) {
  if (!task.case_id) return null;
  const queued = (await Outbox.all()).filter((e) => entryCaseId(e) === task.case_id)
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  const waitingActions = queued.filter(isAction);
  const waiting = new Set(waitingActions.map((e) => e.action));
  const sent = sentLog().filter((s) => s.action && s.case_id === task.case_id).slice(0, 3);
  // An order waiting to be sent calls for a re-check before any reply, whatever the page last fetched.
  const actions = (task.actions || []).filter((a) => !waiting.has(a) && !(a === "reply" && waiting.has("rectify")));
  // 复查: after a rectification order the reply waits for a visit that began after the order, so an order
  // still waiting to be sent does not offer it either.
  const recheck = (task.status === "rectification" || waiting.has("rectify")) && !actions.includes("reply")
    ? h("p", { id: "recheck-needed", class: "muted", text: t("recheck_needed") }) : null;
  const forms = [];
  const send = async (action, body, button) => {
    button.disabled = true;
    const entry = { kind: "action", client_id: body.client_id, created_at: new Date().toISOString(),
                    case_id: task.case_id, action, body, title: `#${task.case_id}` };
    await Outbox.put(entry);
    await refreshCount();
    await flushOutbox();
    // A send already under way when this was queued did not see it: one more round.
    if (navigator.onLine && await Outbox.get(entry.client_id)) await flushOutbox();
    const still = await Outbox.get(entry.client_id);
    const done = still ? null : sentLog().find((s) => s.client_id === entry.client_id);
    if (done) {
      notice(`${t(action)} · ${t("action_done")}${done.status_label ? ` · ${t("server_says")}${done.status_label}` : ""}`);
    } else if (still && still.error) {
      notice(`${t("rejected")} ${entryName(still)}: ${still.error}`, true);
    } else {
      notice(t("action_queued"));
    }
    // A replied case has left the inspector's tasks; after an order the case page shows what is next.
    if (action === "reply" && !(still && still.error) && location.hash !== "#/tasks") location.hash = "#/tasks";
    else route();
  };
  if (actions.includes("rectify")) {
    const due = new Date(Date.now() + 7 * 86400000);
    const clientId = newClientId();
    const requirement = h("textarea", { id: "requirement", required: true });
    const deadline = h("input", { id: "rectify-due", type: "datetime-local", value: localInputValue(due), required: true });
    const button = h("button", { id: "rectify", class: "primary", type: "submit", text: t("rectify") });
    const form = h("form", { id: "rectify-form" }, h("h3", { text: t("rectify") }),
      h("label", { for: "requirement", text: t("requirement") }), requirement,
      h("label", { for: "rectify-due", text: t("rectify_due") }), deadline, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send("rectify", { requirement: requirement.value.trim(), due_at: new Date(deadline.value).toISOString(),
                        client_id: clientId }, button);
    });
    forms.push(form);
  }
  if (actions.includes("reply")) {
    const clientId = newClientId();
    const summary = h("textarea", { id: "reply-summary", required: true });
    const button = h("button", { id: "reply", class: "primary", type: "submit", text: t("reply") });
    const form = h("form", { id: "reply-form" }, h("h3", { text: t("reply") }),
      h("label", { for: "reply-summary", text: t("summary") }), summary, button);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send("reply", { summary: summary.value.trim(), client_id: clientId }, button);
    });
    forms.push(form);
  }
  const lines = [
    ...waitingActions.map((e) => {
      const before = queued.slice(0, queued.indexOf(e));
      const why = e.error ? h("div", { class: "error-line", text: `${t("rejected")}: ${e.error}` })
        : before.some((b) => b.error) ? h("div", { class: "muted", text: t("after_earlier") }) : null;
      return h("div", { class: "queued-action", "data-action": e.action, "data-client-id": e.client_id },
        h("span", { class: "tag warn", text: t("waiting_send") }), ` ${t(e.action)} · ${formatTime(e.created_at)}`,
        e.body.due_at ? ` · ${t("rectify_due")} ${formatTime(e.body.due_at)}` : "", why);
    }),
    ...sent.map((s) => h("div", { class: "sent-action", "data-action": s.action },
      `${t(s.action)} · ${t("sent_at")} ${formatTime(s.sent_at)}`,
      s.status_label ? ` · ${t("server_says")}${s.status_label}` : "")),
  ];
  if (!forms.length && !lines.length && !recheck) return null;
  return h("div", { class: "card", id: "case-actions" }, recheck, lines, forms);
}

async function loadDraft(caseId) {
  const found = await Drafts.get(caseId);
  if (found || typeof caseId !== "number") return found || null;
  if (found) return found;
  // A visit started by the first version of the form (start time and position in localStorage).
  const old = JSON.parse(localStorage.getItem(DRAFT_PREFIX + caseId) || "null");
  if (!old) return null;
  const draft = { key: caseId, case_id: caseId, ...old, findings: "", conclusion: null, source_id: null,
                  readings: [], photos: [] };
  await Drafts.put(draft);
  localStorage.removeItem(DRAFT_PREFIX + caseId);
  return draft;
}

function stopAsTask(stop) {
  // A patrol stop drawn with the case page: the unit is the site, nothing was complained of.
  return { ...stop, case_id: null, status: null, due_at: null, complaints: [], suspects: [], actions: [],
           title: `${t("patrol")} ${stop.seq}. ${stop.source.name}` };
}

async function caseView(id, kind = "case") {
  const mine = routeSeq;
  const render = (...nodes) => { if (mine === routeSeq) renderView(...nodes); };
  const caseId = kind === "stop" ? `stop:${id}` : id;  // the draft's key
  render(h("p", { class: "muted", text: t("loading") }));
  const campaignsAsked = runningCampaigns();  // alongside the task: one round trip's wait, not two
  let task;
  try {
    task = kind === "stop" ? stopAsTask(await api(`/api/v1/inspections/stops/${id}`))
      : await api(`/api/v1/inspections/tasks/${id}`);
    if (!task.title) task.title = `#${task.case_id} ${label(task.category)}`;
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return signOut();
    const offline = isNetworkError(error);
    render(h("a", { href: "#/tasks", class: "muted", text: `‹ ${t("back")}` }),
      h("p", { class: "card error-line", id: "case-error", text: offline ? t("offline_case") : describeError(error) }));
    return;
  }
  const here = await position(4000);
  const mapBox = h("div", { id: "map", class: "map" });
  const header = h("div", { class: "card" },
    h("h2", { text: task.title }),
    task.case_id ? h("div", { class: "muted" }, `${statusLabel(task.status)} · ${t("due")}: ${formatTime(task.due_at)}`)
      : h("div", { class: "muted" }, task.category ? label(task.category) : t("patrol")),
    task.zone ? h("div", { class: "muted" }, `${task.zone.name}`,
      task.zone.noise_class ? ` · ${t("noise_class")} ${task.zone.noise_class}` : "") : null);
  const complaints = h("div", { class: "card", id: "complaints" }, h("h3", { text: t("complaints") }),
    task.complaints.map((c) => h("p", { class: "complaint" },
      h("span", { class: "muted", text: `${formatTime(c.received_at)} · ${label(c.channel)}` }), h("br"),
      c.description)));
  const suspects = h("div", { class: "card", id: "suspects" }, h("h3", { text: t("suspects") }),
    task.suspects.length
      ? h("ol", { class: "suspects" }, task.suspects.map((s) => h("li", { "data-source-id": s.source_id },
        h("strong", { text: s.name }), ` · ${label(s.industry)} · ${formatDistance(s.distance_m)}`,
        // Why this source ranks here: distance, category, wind, history, in the inspector's language.
        h("div", { class: "muted why", text: ((lang === "en" ? s.explanation_en : s.explanation) || []).join("；") }))))
      : h("p", { class: "muted", text: t("no_suspects") }));

  let draft = await loadDraft(caseId);
  const campaigns = await campaignsAsked;
  const visit = h("div", { class: "card", id: "visit" });

  function showForm() {
    const thumbs = h("div", { class: "thumbs", id: "thumbs" });
    const readings = h("div", { id: "readings" });
    const findings = h("textarea", { id: "findings", name: "findings" });
    findings.value = draft.findings || "";
    const sourceSelect = h("select", { id: "source", name: "source_id" },
      h("option", { value: "", text: t("pick_source") }),
      task.suspects.map((s) => h("option", { value: s.source_id, text: `${s.name} (${formatDistance(s.distance_m)})`,
                                             selected: s.source_id === draft.source_id })));
    const campaignSelect = h("select", { id: "campaign", name: "campaign_id" },
      h("option", { value: "", text: t("no_campaign") }),
      campaigns.map((c) => h("option", { value: c.id, text: c.name, selected: c.id === draft.campaign_id })));
    const campaignBox = campaigns.length
      ? h("div", { id: "campaign-box" }, h("label", { for: "campaign", text: t("campaign") }), campaignSelect) : "";
    const sourceBox = h("div", { id: "source-box", hidden: draft.conclusion !== "source_identified" },
                        h("label", { for: "source", text: t("source") }), sourceSelect);
    const conclusions = h("fieldset", { id: "conclusion" }, h("legend", { text: t("conclusion") }),
      (task.case_id ? ["problem_confirmed", "not_confirmed", "source_identified"]
        : ["problem_confirmed", "not_confirmed"]).map((code) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "conclusion", value: code, checked: draft.conclusion === code,
                     onchange: () => { sourceBox.hidden = code !== "source_identified"; } }), t(code))));
    const submit = h("button", { id: "submit", class: "primary", type: "submit", text: t("submit") });
    const photoInput = h("input", { id: "photo-input", type: "file", accept: "image/*", capture: "environment",
                                    multiple: true });
    const saveState = h("div", { class: "muted", id: "draft-state", "aria-live": "polite" });
    let saving = Promise.resolve();

    // Every change is written at once, one write after the other, so the last state is the one kept.
    const save = () => {
      draft.findings = findings.value;
      draft.conclusion = (form.querySelector("input[name=conclusion]:checked") || {}).value || null;
      draft.source_id = sourceSelect.value ? Number(sourceSelect.value) : null;
      draft.campaign_id = campaignSelect.value ? Number(campaignSelect.value) : null;
      draft.readings = [...readings.querySelectorAll(".reading")].map(readingState);
      draft.updated_at = new Date().toISOString();
      const snapshot = { ...draft, readings: [...draft.readings], photos: [...draft.photos] };
      saving = saving.then(() => Drafts.put(snapshot)).then(() => {
        saveState.textContent = `${t("draft_saved")} ${formatTime(snapshot.updated_at)}`;
        form.dataset.saved = snapshot.updated_at;
      }).catch((error) => notice(describeError(error), true));
      return saving;
    };

    const showThumb = (photo) => {
      const remove = h("button", { type: "button", class: "remove-photo", "aria-label": t("remove_photo"), text: "×" });
      const box = h("figure", { class: "thumb", "data-client-id": photo.client_id },
        h("img", { src: URL.createObjectURL(photo.blob), alt: photo.name || "" }), remove);
      remove.addEventListener("click", () => {
        draft.photos = draft.photos.filter((p) => p.client_id !== photo.client_id);
        box.remove();
        save();
      });
      thumbs.append(box);
    };
    draft.photos.forEach(showThumb);
    photoInput.addEventListener("change", () => {
      for (const file of photoInput.files) {
        const photo = { client_id: newClientId(), blob: file, name: file.name, done: false };
        draft.photos.push(photo);
        showThumb(photo);
      }
      photoInput.value = "";
      save();
    });
    for (const saved of draft.readings) readings.append(readingRow(saved, save));

    const form = h("form", { id: "inspection-form" },
      h("div", { class: "muted", id: "started" }, `${t("started")} ${formatTime(draft.started_at)}`,
        draft.lon === null ? ` · ${t("position_unknown")}` : ` · ${draft.lat.toFixed(5)}, ${draft.lon.toFixed(5)}`),
      saveState,
      h("label", { for: "photo-input", text: t("photos") }), photoInput, thumbs,
      h("label", { text: t("readings") }), readings,
      h("button", { id: "add-reading", class: "secondary", type: "button", text: t("add_reading"),
                    onclick: () => { readings.append(readingRow({}, save)); save(); } }),
      h("label", { for: "findings", text: t("findings") }), findings,
      conclusions, sourceBox, campaignBox, submit);
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      await save();
      const states = draft.readings;
      if (states.some((r) => r.value === "" || Number.isNaN(Number(r.value)) || Number.isNaN(Date.parse(r.measured_at)))) {
        notice(`${t("readings")}: ${t("value")}?`, true);
        submit.disabled = false;
        return;
      }
      const inspection = {
        case_id: task.case_id,
        patrol_target_id: task.target_id || null,
        client_id: draft.client_id,
        findings: draft.findings.trim() || null,
        lon: draft.lon,
        lat: draft.lat,
        started_at: draft.started_at,
        conclusion: draft.conclusion,
        source_id: draft.conclusion === "source_identified" ? draft.source_id : null,
        campaign_id: draft.campaign_id || null,
        readings: states.map(readingPayload),
      };
      // Queued first, then the draft goes, then sent: nothing is lost if the signal drops halfway.
      await Outbox.put({ client_id: draft.client_id, created_at: new Date().toISOString(), inspection,
                         title: task.case_id ? `#${task.case_id}` : task.title,
                         inspection_id: null, photos: draft.photos.map((p) => ({ ...p, done: false })) });
      await Drafts.remove(caseId);
      await refreshCount();
      await flushOutbox();
      const left = await refreshCount();
      if (left) notice(t("queued"));
      else if (!$("#notice").textContent) notice(t("saved"));
      location.hash = "#/tasks";
    });
    visit.replaceChildren(form);
  }

  if (draft) {
    showForm();
  } else {
    visit.replaceChildren(h("button", { id: "start", class: "primary", type: "button", text: t("start"),
      onclick: async (event) => {
        event.target.disabled = true;
        const at = await position();
        draft = { key: caseId, case_id: task.case_id, target_id: task.target_id || null,
                  kind, title: task.case_id ? `#${task.case_id}` : task.title, client_id: newClientId(), started_at: new Date().toISOString(),
                  lon: at ? at.lon : null, lat: at ? at.lat : null, findings: "", conclusion: null,
                  source_id: null, readings: [], photos: [], updated_at: new Date().toISOString() };
        await Drafts.put(draft);
        showForm();
      } }));
  }

  const attribution = h("div", { class: "muted attribution", id: "attribution" });
  render(h("a", { href: "#/tasks", class: "muted", text: `‹ ${t("back")}` }), header, findingCard(task, here),
         mapBox, attribution, visit, await earlierVisits(task), (await actionsCard(task)) || "", complaints, suspects);
  if (!task.location) return;
  await loadLeaflet();
  if (mine !== routeSeq) return;
  if (window.L) drawMap(mapBox, attribution, task, here);
}

let leafletLoading = null;

// Leaflet is a third of the form's weight and only case pages draw a map: fetched the first time one does
// (the service worker keeps a copy for offline use from the start).
function loadLeaflet() {
  if (window.L) return Promise.resolve();
  if (!leafletLoading) {
    leafletLoading = new Promise((resolve) => {
      document.head.append(h("link", { rel: "stylesheet", href: "/m/leaflet.css" }));
      const script = h("script", { src: "/m/leaflet.js" });
      script.addEventListener("load", () => resolve());
      script.addEventListener("error", () => { leafletLoading = null; resolve(); });
      document.head.append(script);
    });
  }
  return leafletLoading;
}

function drawMap(mapBox, attribution, task, here) {
  // Drawn in the base map's datum: a GCJ-02 base map needs every WGS-84 point shifted first.
  const shift = baseMap && baseMap.crs === "gcj02" ? ([lon, lat]) => Coords.toGcj02(lon, lat) : (p) => p;
  const ll = (coords) => { const [lon, lat] = shift(coords); return [lat, lon]; };
  const site = ll(task.location.coordinates);
  currentMap = L.map(mapBox, { attributionControl: false }).setView(site, 16);
  const layers = (baseMap && baseMap.layers) || [];
  for (const layer of layers) {
    L.tileLayer(layer.url, { maxZoom: layer.max_zoom, subdomains: layer.subdomains || "abc" }).addTo(currentMap);
  }
  attribution.textContent = layers.map((layer) => layer.attribution).filter((a, i, all) => all.indexOf(a) === i).join(" · ");
  L.circleMarker(site, { radius: 9, color: "#c62828", fillOpacity: 0.8 }).addTo(currentMap);
  L.circle(site, { radius: 100, color: "#c62828", weight: 1, fill: false }).addTo(currentMap);
  const bounds = [site];
  task.suspects.forEach((s, i) => {
    if (!s.location) return;
    const at = ll(s.location.coordinates);
    bounds.push(at);
    // Leaflet inserts string content as HTML: the pin and its tooltip are nodes holding plain text.
    L.marker(at, { icon: L.divIcon({ className: "suspect-pin", html: h("span", { text: String(i + 1) }),
                                     iconSize: [22, 22] }) })
      .bindTooltip(h("span", { class: "suspect-name", text: s.name })).addTo(currentMap);
  });
  if (here) {
    // The way from where the inspector stands: their position and a line to the site.
    const me = ll([here.lon, here.lat]);
    bounds.push(me);
    L.circleMarker(me, { radius: 7, color: "#1565c0", fillOpacity: 0.9, className: "me" })
      .bindTooltip(h("span", { text: t("you") })).addTo(currentMap);
    L.polyline([me, site], { color: "#1565c0", weight: 3, dashArray: "6 6", className: "way" }).addTo(currentMap);
  }
  if (bounds.length > 1) currentMap.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
}

// --- start ---------------------------------------------------------------------------------

async function loadBaseMap() {
  try {
    baseMap = await api("/api/v1/inspections/base-map");
    localStorage.setItem("ecogrid.m.basemap", JSON.stringify(baseMap));
  } catch (error) {
    // Offline: the last known choice stays.
  }
}

async function signOut() {
  // Revoke the token on the server too (offline or already invalid: nothing more to do).
  if (localStorage.getItem(TOKEN_KEY)) await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  localStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(SENT_KEY);
  // Cached task pages belong to the signed-out user; the next person on this phone must not see them.
  if (window.caches) {
    const cache = await caches.open(CACHE_NAME);
    for (const request of await cache.keys()) {
      if (new URL(request.url).pathname.startsWith("/api/")) await cache.delete(request);
    }
  }
  location.hash = "#/sign-in";
  route();
}

function applyLanguage() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = `ecogrid ${t("title")}`;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("#lang").textContent = lang === "zh" ? "EN" : "中文";
}

function route() {
  routeSeq += 1;
  applyLanguage();
  setNet();
  if (!localStorage.getItem(TOKEN_KEY)) return signInView();
  $("#sign-out").hidden = false;
  const match = location.hash.match(/^#\/case\/(\d+)$/);
  if (match) return caseView(Number(match[1]));
  const stop = location.hash.match(/^#\/stop\/(\d+)$/);
  if (stop) return caseView(Number(stop[1]), "stop");
  return tasksView();
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => { refreshCount(); flushOutbox(); });
window.addEventListener("offline", () => { refreshCount(); notice(t("offline_now"), true); });
$("#retry").addEventListener("click", () => flushOutbox());
$("#sign-out").addEventListener("click", signOut);
$("#lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem(LANG_KEY, lang);
  route();
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
}

(async () => {
  if (localStorage.getItem(TOKEN_KEY)) {
    // Offline on first load with nothing kept: the form still opens; labels show codes.
    const fresh = Promise.all([loadVocabulary(), loadBaseMap()]).catch(() => null);
    // Labels and the base map choice kept from the last opening draw the form at once; refreshed behind it.
    if (!vocabulary) await fresh;
  }
  route();
  await refreshCount();
  if (navigator.onLine) flushOutbox();
})();
