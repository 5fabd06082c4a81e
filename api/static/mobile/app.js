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
  },
};

const TOKEN_KEY = "ecogrid.m.token";
const LANG_KEY = "ecogrid.m.lang";
const VOCAB_KEY = "ecogrid.m.vocabulary";
const DRAFT_PREFIX = "ecogrid.m.draft.";

let lang = localStorage.getItem(LANG_KEY) || ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en");
let vocabulary = JSON.parse(localStorage.getItem(VOCAB_KEY) || "null");
let currentMap = null;
let flushing = null;

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
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
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

function describeError(error) {
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

async function refreshCount() {
  let count = 0;
  try {
    count = await Outbox.count();
  } catch (error) {
    count = 0;
  }
  $("#pending-count").textContent = String(count);
  $("#outbox").hidden = count === 0;
  $("#net").className = navigator.onLine ? "net" : "net off";
  $("#net").title = navigator.onLine ? "" : t("offline");
  return count;
}

async function sendEntry(entry) {
  if (!entry.inspection_id) {
    const stored = await api("/api/v1/inspections", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(entry.inspection),
    });
    entry.inspection_id = stored.id;
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
  await Outbox.remove(entry.client_id);
}

// Sends everything waiting, oldest first; stops at the first network failure (still offline).
function flushOutbox() {
  if (flushing) return flushing;
  flushing = (async () => {
    let sent = 0;
    const entries = (await Outbox.all()).sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const entry of entries) {
      try {
        await sendEntry(entry);
        sent += 1;
      } catch (error) {
        if (error instanceof HttpError && error.status === 401) {
          notice(t("need_sign_in"), true);
          break;
        }
        if (error instanceof HttpError && error.status >= 400 && error.status < 500 && error.status !== 408
            && error.status !== 429) {
          // Kept, not dropped: a refused submission is still the inspector's record of the visit.
          entry.error = describeError(error);
          await Outbox.put(entry);
          notice(`${t("rejected")}: ${entry.error}`, true);
          continue;
        }
        break;
      }
    }
    await refreshCount();
    return sent;
  })().finally(() => {
    flushing = null;
  });
  return flushing;
}

// --- views ---------------------------------------------------------------------------------

function render(...nodes) {
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
      await loadVocabulary();
      await flushOutbox();
      location.hash = "#/tasks";
      route();
    } catch (error) {
      notice(error instanceof HttpError && error.status === 401 ? t("sign_in_failed") : describeError(error), true);
    }
  });
  render(form);
}

async function tasksView() {
  render(h("p", { class: "muted", text: t("loading") }));
  const here = await position(4000);
  const query = here ? `?lon=${here.lon}&lat=${here.lat}` : "";
  let tasks;
  try {
    tasks = await api(`/api/v1/inspections/tasks${query}`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return signOut();
    notice(describeError(error), true);
    return;
  }
  const now = Date.now();
  const cards = tasks.items.map((task) => h("a", { class: "card task", href: `#/case/${task.case_id}`,
                                                 "data-case-id": task.case_id },
    h("div", {}, h("strong", { text: `#${task.case_id} ${label(task.category)}` }), " ",
      h("span", { class: "tag", text: statusLabel(task.status) }),
      task.exceedance ? h("span", { class: "tag over", text: t("exceeded") }) : null),
    h("div", { class: "muted" },
      `${t("due")}: ${formatTime(task.due_at)}`,
      task.due_at && Date.parse(task.due_at) < now ? h("span", { class: "tag over", text: t("overdue") }) : null,
      task.distance_m !== null ? h("span", { class: "distance", text: ` · ${t("away")} ${formatDistance(task.distance_m)}` }) : null),
    task.zone ? h("div", { class: "muted", text: task.zone }) : null));
  render(h("h2", { text: t("my_tasks") }), cards.length ? h("div", { id: "tasks" }, cards)
    : h("p", { class: "muted", id: "no-tasks", text: t("no_tasks") }));
}

function readingRow(draft) {
  const params = (vocabulary && vocabulary.parameters) || [];
  const paramSelect = h("select", { class: "parameter", "aria-label": t("parameter") },
    params.map((p) => h("option", { value: p.code, text: lang === "zh" ? p.label_zh : p.label })));
  const unitSelect = h("select", { class: "unit", "aria-label": t("unit") });
  const fillUnits = () => {
    const p = params.find((x) => x.code === paramSelect.value);
    unitSelect.replaceChildren(...(p ? p.units : []).map((u) => h("option", { value: u, text: u })));
  };
  paramSelect.addEventListener("change", fillUnits);
  fillUnits();
  const row = h("div", { class: "reading", "data-client-id": newClientId() },
    h("div", {}, h("label", { text: t("parameter") }), paramSelect),
    h("div", {}, h("label", { text: t("value") }), h("input", { class: "value", type: "number", step: "any",
                                                                inputmode: "decimal", required: true })),
    h("div", {}, h("label", { text: t("unit") }), unitSelect),
    h("div", { class: "wide" }, h("label", { text: t("measured_at") }),
      h("input", { class: "measured-at", type: "datetime-local", value: localInputValue(new Date()) })),
    h("div", {}, h("label", { text: t("background") }), h("input", { class: "background", type: "number",
                                                                     step: "any" })),
    h("div", { class: "span-2" }, h("label", { text: t("instrument") }),
      h("input", { class: "instrument", value: draft.instrument || "" })),
    h("button", { type: "button", class: "secondary wide remove-reading", text: t("remove"),
                  onclick: () => row.remove() }));
  return row;
}

function collectReadings(form) {
  return [...form.querySelectorAll(".reading")].map((row) => {
    const background = row.querySelector(".background").value;
    const instrument = row.querySelector(".instrument").value.trim();
    return {
      client_id: row.dataset.clientId,
      parameter: row.querySelector(".parameter").value,
      value: Number(row.querySelector(".value").value),
      unit: row.querySelector(".unit").value,
      // datetime-local is the phone's local time; sent with its offset so the server judges day/night right.
      measured_at: new Date(row.querySelector(".measured-at").value).toISOString(),
      background: background === "" ? null : Number(background),
      instrument: instrument || null,
    };
  });
}

function loadDraft(caseId) {
  return JSON.parse(localStorage.getItem(DRAFT_PREFIX + caseId) || "null");
}

function saveDraft(caseId, draft) {
  localStorage.setItem(DRAFT_PREFIX + caseId, JSON.stringify(draft));
}

async function caseView(caseId) {
  render(h("p", { class: "muted", text: t("loading") }));
  let task;
  try {
    task = await api(`/api/v1/inspections/tasks/${caseId}`);
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return signOut();
    notice(describeError(error), true);
    return;
  }
  const mapBox = h("div", { id: "map", class: "map" });
  const header = h("div", { class: "card" },
    h("h2", { text: `#${task.case_id} ${label(task.category)}` }),
    h("div", { class: "muted" }, `${statusLabel(task.status)} · ${t("due")}: ${formatTime(task.due_at)}`),
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

  let draft = loadDraft(caseId);
  const visit = h("div", { class: "card", id: "visit" });
  const photos = [];

  function showForm() {
    const thumbs = h("div", { class: "thumbs", id: "thumbs" });
    const photoInput = h("input", { id: "photo-input", type: "file", accept: "image/*", capture: "environment",
                                    multiple: true });
    photoInput.addEventListener("change", () => {
      for (const file of photoInput.files) {
        photos.push({ client_id: newClientId(), blob: file, name: file.name, done: false });
        thumbs.append(h("img", { src: URL.createObjectURL(file), alt: file.name }));
      }
      photoInput.value = "";
    });
    const readings = h("div", { id: "readings" });
    const sourceSelect = h("select", { id: "source", name: "source_id" },
      h("option", { value: "", text: t("pick_source") }),
      task.suspects.map((s) => h("option", { value: s.source_id, text: `${s.name} (${formatDistance(s.distance_m)})` })));
    const sourceBox = h("div", { id: "source-box", hidden: true }, h("label", { for: "source", text: t("source") }),
                        sourceSelect);
    const conclusions = h("fieldset", { id: "conclusion" }, h("legend", { text: t("conclusion") }),
      ["problem_confirmed", "not_confirmed", "source_identified"].map((code) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "conclusion", value: code,
                     onchange: () => { sourceBox.hidden = code !== "source_identified"; } }), t(code))));
    const submit = h("button", { id: "submit", class: "primary", type: "submit", text: t("submit") });
    const form = h("form", { id: "inspection-form" },
      h("div", { class: "muted", id: "started" }, `${t("started")} ${formatTime(draft.started_at)}`,
        draft.lon === null ? ` · ${t("position_unknown")}` : ` · ${draft.lat.toFixed(5)}, ${draft.lon.toFixed(5)}`),
      h("label", { for: "photo-input", text: t("photos") }), photoInput, thumbs,
      h("label", { text: t("readings") }), readings,
      h("button", { id: "add-reading", class: "secondary", type: "button", text: t("add_reading"),
                    onclick: () => readings.append(readingRow(draft)) }),
      h("label", { for: "findings", text: t("findings") }),
      h("textarea", { id: "findings", name: "findings" }),
      conclusions, sourceBox, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      const conclusion = (form.querySelector("input[name=conclusion]:checked") || {}).value || null;
      const inspection = {
        case_id: task.case_id,
        client_id: draft.client_id,
        findings: $("#findings").value.trim() || null,
        lon: draft.lon,
        lat: draft.lat,
        started_at: draft.started_at,
        conclusion,
        source_id: conclusion === "source_identified" && sourceSelect.value ? Number(sourceSelect.value) : null,
        readings: collectReadings(form),
      };
      if (inspection.readings.some((r) => Number.isNaN(r.value) || Number.isNaN(Date.parse(r.measured_at)))) {
        notice(`${t("readings")}: ${t("value")}?`, true);
        submit.disabled = false;
        return;
      }
      // Queued first, sent second: nothing is lost if the signal drops halfway.
      await Outbox.put({ client_id: draft.client_id, created_at: new Date().toISOString(), inspection,
                         inspection_id: null, photos });
      localStorage.removeItem(DRAFT_PREFIX + caseId);
      await refreshCount();
      await flushOutbox();
      const left = await refreshCount();
      notice(left ? t("queued") : t("saved"));
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
        const here = await position();
        draft = { client_id: newClientId(), started_at: new Date().toISOString(),
                  lon: here ? here.lon : null, lat: here ? here.lat : null };
        saveDraft(caseId, draft);
        showForm();
      } }));
  }

  render(h("a", { href: "#/tasks", class: "muted", text: `‹ ${t("back")}` }), header, mapBox, complaints,
         suspects, visit);
  if (window.L && task.location) {
    const [lon, lat] = task.location.coordinates;
    // No base tiles: they would come from the internet. The site and suspects are drawn on their own.
    currentMap = L.map(mapBox, { attributionControl: false }).setView([lat, lon], 16);
    L.circleMarker([lat, lon], { radius: 9, color: "#c62828", fillOpacity: 0.8 }).addTo(currentMap);
    L.circle([lat, lon], { radius: 100, color: "#c62828", weight: 1, fill: false }).addTo(currentMap);
    const bounds = [[lat, lon]];
    task.suspects.forEach((s, i) => {
      if (!s.location) return;
      const [slon, slat] = s.location.coordinates;
      bounds.push([slat, slon]);
      // Leaflet inserts string content as HTML: the pin and its tooltip are nodes holding plain text.
      L.marker([slat, slon], { icon: L.divIcon({ className: "suspect-pin", html: h("span", { text: String(i + 1) }),
                                                 iconSize: [22, 22] }) })
        .bindTooltip(h("span", { class: "suspect-name", text: s.name })).addTo(currentMap);
    });
    if (bounds.length > 1) currentMap.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 });
  }
}

// --- start ---------------------------------------------------------------------------------

async function signOut() {
  // Revoke the token on the server too (offline or already invalid: nothing more to do).
  if (localStorage.getItem(TOKEN_KEY)) await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
  localStorage.removeItem(TOKEN_KEY);
  // Cached task pages belong to the signed-out user; the next person on this phone must not see them.
  if (window.caches) {
    const cache = await caches.open("ecogrid-m-v2");
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
  applyLanguage();
  if (!localStorage.getItem(TOKEN_KEY)) return signInView();
  $("#sign-out").hidden = false;
  const match = location.hash.match(/^#\/case\/(\d+)$/);
  if (match) return caseView(Number(match[1]));
  return tasksView();
}

window.addEventListener("hashchange", route);
window.addEventListener("online", () => { refreshCount(); flushOutbox(); });
window.addEventListener("offline", refreshCount);
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
    try {
      await loadVocabulary();
    } catch (error) {
      // Offline on first load with nothing cached: the form still opens; labels show codes.
    }
  }
  route();
  await refreshCount();
  if (navigator.onLine) flushOutbox();
})();
