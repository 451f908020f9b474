// Demo page: builds one input per feature of the served model (from /v1/model), posts the form
// as multipart to /v1/explain and shows the price with its 80% range, why (each feature's price
// ratio) and similar sold items. One request: the explanation carries the price. A model that
// cannot explain (409) is asked /v1/predict instead. No framework, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORE = "appraiser-api-key";
const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const FLAT = 0.005; // |log ratio| below this (half a percent) moves nothing worth a bar
const SCALES = [2, 3, 5, 10, 20, 50, 100, 1000]; // bar ends: ×1/s to ×s, the first that holds all
let features = []; // the served model's features, in schema order
let explainable = true; // until the served model answers 409

function headers() {
  const key = $("api-key").value || sessionStorage.getItem(KEY_STORE) || "";
  return key ? { "X-API-Key": key } : {};
}

function el(tag, attrs = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  if (text) node.textContent = text;
  return node;
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function loadModel() {
  let response;
  try {
    response = await fetch("/v1/model", { headers: headers() });
  } catch (err) {
    $("model-line").textContent = "The service is not answering; retrying…";
    setTimeout(loadModel, 2000);
    return;
  }
  if (response.status === 401) {
    $("model-line").textContent = "This service needs an API key.";
    askForKey();
    return;
  }
  if (response.status === 503) {
    $("model-line").textContent = "The model is loading…";
    setTimeout(loadModel, 1000);
    return;
  }
  const model = await response.json();
  $("model-line").textContent = `Model ${model.name} v${model.version} on ${model.device}`;
  buildForm(model);
}

function askForKey() {
  const form = $("listing");
  form.hidden = false;
  $("key-row").hidden = false;
  $("submit").textContent = "Use this key";
  form.onsubmit = (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, $("api-key").value);
    $("submit").textContent = "Estimate price";
    form.onsubmit = null;
    loadModel();
  };
}

function buildForm(model) {
  features = model.features;
  explainable = true;
  const photos = $("photo-fields");
  const fields = $("fields");
  photos.replaceChildren();
  fields.replaceChildren();
  const example = model.example || {};
  for (const feature of model.features) {
    if (feature.type === "image") photos.append(photoPicker(feature));
    else fields.append(fieldInput(feature, example[feature.name]));
  }
  photos.hidden = photos.childElementCount === 0;
  const form = $("listing");
  form.hidden = false;
  form.addEventListener("submit", submit);
}

function photoPicker(feature) {
  const wrap = el("div", { class: "photo-field", "data-field": feature.name });
  wrap.append(el("span", { class: "photo-label" }, label(feature.name)));
  const picker = el("label", { class: "photo-picker", for: `f-${feature.name}` });
  const hint = el("span", {}, "Choose or drop a photo");
  const preview = el("img", { alt: `${feature.name} preview`, id: `preview-${feature.name}`, hidden: "" });
  const input = el("input", { type: "file", accept: "image/*", name: feature.name, id: `f-${feature.name}` });
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.hidden = !file;
    hint.hidden = Boolean(file);
    if (file) preview.src = URL.createObjectURL(file);
  });
  picker.append(hint, preview, input);
  wrap.append(picker, el("span", { class: "field-error", hidden: "" }));
  return wrap;
}

function fieldInput(feature, example) {
  const wrap = el("div", { class: "field", "data-field": feature.name });
  const id = `f-${feature.name}`;
  const required = feature.required ?? ["integer", "number"].includes(feature.type);
  wrap.append(el("label", { for: id }, label(feature.name) + (required ? "" : " (optional)")));
  let input;
  const placeholder = example !== undefined && example !== null ? `e.g. ${example}` : "";
  if (feature.type === "text") {
    input = el("textarea", { id, name: feature.name, maxlength: feature.max_chars, rows: 3, placeholder });
  } else if (feature.type === "integer" || feature.type === "number") {
    input = el("input", {
      id, name: feature.name, type: "number", inputmode: feature.type === "integer" ? "numeric" : "decimal",
      step: feature.type === "integer" ? "1" : "any", min: feature.min, max: feature.max, placeholder,
    });
    if (feature.min !== null && feature.max !== null) {
      wrap.append(el("span", { class: "hint" }, `${feature.min} to ${feature.max}`));
    }
  } else {
    input = el("input", { id, name: feature.name, type: "text", maxlength: feature.max_chars, placeholder });
  }
  if (required) input.required = true;
  wrap.insertBefore(input, wrap.children[1] || null);
  wrap.append(el("span", { class: "field-error", hidden: "" }));
  return wrap;
}

function label(name) {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function clearFieldErrors() {
  for (const node of document.querySelectorAll("[data-field]")) {
    node.classList.remove("invalid");
    node.querySelector(".photo-picker")?.classList.remove("invalid");
    const message = node.querySelector(".field-error");
    message.textContent = "";
    message.hidden = true;
  }
}

function markField(name, message) {
  const node = document.querySelector(`[data-field="${CSS.escape(name)}"]`);
  if (!node) return false;
  node.classList.add("invalid");
  node.querySelector(".photo-picker")?.classList.add("invalid");
  const slot = node.querySelector(".field-error");
  slot.textContent = message;
  slot.hidden = false;
  return true;
}

async function submit(event) {
  event.preventDefault();
  clearFieldErrors();
  showError("");
  const button = $("submit");
  button.disabled = true;
  button.textContent = "Estimating…";
  const sent = new FormData($("listing"));
  try {
    let response = explainable ? await post("/v1/explain", sent) : null;
    if (response && response.status === 409) explainable = false; // priced, not explained
    if (!explainable) response = await post("/v1/predict", sent);
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      showPrice(body);
      showWhy(body, sent);
    } else showProblems(response.status, body);
  } catch (err) {
    showError("The service did not answer. Is it still running?");
  } finally {
    button.disabled = false;
    button.textContent = "Estimate price";
  }
}

function post(path, form) {
  return fetch(path, { method: "POST", body: form, headers: headers() });
}

function showPrice(prediction) {
  const { price, price_range: range, model } = prediction;
  $("price").textContent = money.format(price);
  $("range").textContent = `80% range: ${money.format(range.low)} – ${money.format(range.high)}`;
  // Place the range on a scale from 0 to twice the high end, so wide ranges look wide.
  const scale = range.high * 1.25 || 1;
  $("bar-fill").style.left = `${(100 * range.low) / scale}%`;
  $("bar-fill").style.width = `${(100 * (range.high - range.low)) / scale}%`;
  $("answered-by").textContent = `${model.name} v${model.version}`;
  $("result").hidden = false;
  $("result").scrollIntoView({ block: "nearest", behavior: "smooth" }); // below the form on phones
}

function showProblems(status, body) {
  const problems = Array.isArray(body.detail) ? body.detail : [{ msg: `HTTP ${status}` }];
  const general = [];
  for (const problem of problems) {
    const loc = problem.loc || [];
    const field = loc[0] === "body" && typeof loc[1] === "string" ? loc[1] : null;
    if (!field || !markField(field, problem.msg)) general.push(problem.msg);
  }
  if (status === 401) askForKey();
  showError(general.join(" "));
  $("result").hidden = true;
  $("why").hidden = true;
  $("similar").hidden = true;
}

// Why this price: the baseline times every feature's ratio is the price (Shapley contributions
// of log price), so each bar is drawn on a log scale around ×1: left lowers, right raises.
function showWhy(answer, sent) {
  const explained = Array.isArray(answer.contributions);
  $("why").hidden = !explained;
  $("similar").hidden = !explained || answer.comparables.length === 0;
  if (!explained) return;
  // A round scale of at least ×0.5 to ×2, so small effects look small and the ends read well.
  const widest = Math.max(...answer.contributions.map((c) => Math.abs(c.log_price)));
  const scale = Math.log(SCALES.find((s) => Math.log(s) >= widest) ?? Math.exp(widest));
  $("baseline").textContent = money.format(answer.baseline_price);
  $("from-price").textContent = money.format(answer.baseline_price);
  $("to-price").textContent = money.format(answer.price);
  $("axis-low").textContent = `×${axisRatio(Math.exp(-scale))}`;
  $("axis-high").textContent = `×${axisRatio(Math.exp(scale))}`;
  $("contributions").replaceChildren(...answer.contributions.map((c) => contributionRow(c, scale, sent)));
  $("comparables").replaceChildren(...answer.comparables.map(comparableCard));
}

function contributionRow(contribution, scale, sent) {
  const { feature, log_price: log } = contribution;
  const direction = Math.abs(log) < FLAT ? "flat" : log > 0 ? "up" : "down";
  const row = el("li", { class: `contribution ${direction}`, "data-feature": feature });
  const name = el("span", { class: "name" }, label(feature));
  const given = sentValue(feature, sent);
  if (given !== null) name.append(el("span", { class: "given" }, given));
  const shown = `×${ratio(contribution.ratio)}`;
  const change = Math.round((contribution.ratio - 1) * 100);
  row.title = `${label(feature)} ${change >= 0 ? "raises" : "lowers"} the price ${shown} (${change >= 0 ? "+" : ""}${change}%)`;
  const head = el("div", { class: "head" });
  head.append(name, el("span", { class: "ratio" }, shown));
  const track = el("div", { class: "track", "aria-hidden": "true" });
  const bar = el("span", { class: "fill" });
  bar.style.width = `${(50 * Math.min(Math.abs(log), scale)) / scale}%`;
  bar.style[log >= 0 ? "left" : "right"] = "50%";
  track.append(bar);
  row.append(head, track);
  return row;
}

// What the seller gave for a feature, in words: its value for short ones, "not given" if none.
function sentValue(name, sent) {
  const type = features.find((f) => f.name === name)?.type;
  const value = sent.get(name);
  const empty = value === null || (value instanceof File ? value.size === 0 : !value.trim());
  if (empty) return "not given";
  if (type === "image" || type === "text") return null;
  return String(value).trim();
}

function ratio(value) {
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

function axisRatio(value) {
  return ratio(value).replace(/\.?0+$/, "");
}

function comparableCard(comparable) {
  const card = el("li", { class: "comparable", "data-distance": comparable.distance.toFixed(3) });
  card.title = `Sold listing ${comparable.id}`;
  const photo = comparable.thumbnail
    ? el("img", { src: comparable.thumbnail, alt: `Photo of sold listing ${comparable.id}`, width: 64, height: 64 })
    : el("span", { class: "no-photo" }, "No photo");
  const text = el("div", { class: "text" });
  const price = el("p", { class: "sold-price" }, money.format(comparable.price));
  price.append(el("span", { class: "muted small" }, " sold"));
  text.append(price);
  const facts = [];
  let excerpt = "";
  for (const feature of features) {
    const value = comparable.values[feature.name];
    if (value === null || value === undefined || value === "") continue;
    if (feature.type === "text") excerpt ||= String(value);
    else if (feature.type === "category") facts.push(String(value));
    else if (feature.type !== "image") facts.push(`${label(feature.name)} ${value}`);
  }
  if (facts.length) text.append(el("p", { class: "facts" }, facts.join(" · ")));
  if (excerpt) text.append(el("p", { class: "excerpt" }, excerpt));
  card.append(photo, text);
  return card;
}

loadModel();
