// The run report's table: sorting, filtering and each record's chunk track, from the JSON the page
// carries. Inlined into report.html; runs from a file:// URL with nothing fetched. The view's state
// (sort and filters) lives in the URL's #fragment, so a view can be bookmarked or sent; #open=<id>
// opens that record's track.
'use strict';
(function () {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const PAGE = 500;
  const FRAMES = ['F1', 'F2', 'F3', 'R1', 'R2', 'R3'];
  const FRAME_COLOURS = ['#d62728', '#ff7f0e', '#bcbd22', '#1f77b4', '#17becf', '#9467bd'];
  const NUMERIC = { length: true, score: true, frames: true, nonAcgt: true, rank: true };
  const rows = data.rows.map((r, rank) => ({
    id: r[0],
    source: r[1],
    length: r[2],
    call: r[3],
    score: r[4],
    frames: r[5],
    nonAcgt: r[6],
    track: r[7],
    rank,
  }));
  const table = document.getElementById('records');
  const body = table.tBodies[0];
  const shownNote = document.getElementById('shown');
  const more = document.getElementById('more');
  const inputs = {
    id: document.getElementById('filter-id'),
    call: document.getElementById('filter-call'),
    min: document.getElementById('filter-min'),
    max: document.getElementById('filter-max'),
  };
  const state = { sort: 'rank', dir: 'asc', id: '', call: '', min: '', max: '', open: '', shown: PAGE };

  function readHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const key of ['sort', 'dir', 'id', 'call', 'min', 'max', 'open']) {
      if (params.has(key)) state[key] = params.get(key);
    }
    if (!(state.sort in NUMERIC) && !['id', 'source', 'call'].includes(state.sort)) state.sort = 'rank';
    if (state.dir !== 'asc' && state.dir !== 'desc') state.dir = 'asc';
    for (const key of ['id', 'call', 'min', 'max']) inputs[key].value = state[key];
  }

  function writeHash() {
    const params = new URLSearchParams();
    for (const key of ['sort', 'dir', 'id', 'call', 'min', 'max']) {
      if (
        state[key] !== '' &&
        !(key === 'sort' && state.sort === 'rank') &&
        !(key === 'dir' && state.sort === 'rank')
      )
        params.set(key, state[key]);
    }
    const hash = params.toString();
    history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  }

  function matches(row) {
    if (state.id && !row.id.toLowerCase().includes(state.id.toLowerCase())) return false;
    if (state.call && row.call !== state.call) return false;
    const min = state.min === '' ? null : Number(state.min);
    const max = state.max === '' ? null : Number(state.max);
    if (min !== null && !(row.score !== null && row.score >= min)) return false;
    if (max !== null && !(row.score !== null && row.score <= max)) return false;
    return true;
  }

  function compare(a, b) {
    const key = state.sort;
    const x = a[key];
    const y = b[key];
    // a missing score sorts last either way
    if (x === null || y === null) return x === y ? a.rank - b.rank : x === null ? 1 : -1;
    // equal values keep the report's order either way
    if (x === y) return a.rank - b.rank;
    const order = x < y ? -1 : 1;
    return state.dir === 'asc' ? order : -order;
  }

  function cell(row, text, className) {
    const td = row.insertCell();
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function render() {
    const chosen = rows.filter(matches).sort(compare);
    body.textContent = '';
    for (const row of chosen.slice(0, state.shown)) {
      const tr = body.insertRow();
      tr.className = 'row';
      tr.dataset.rank = String(row.rank);
      cell(tr, row.id, 'mono id');
      const call = cell(tr, '');
      const badge = document.createElement('span');
      badge.className = `call call-${row.call}`;
      badge.textContent = row.call.replace('_', ' ');
      call.appendChild(badge);
      cell(tr, row.score === null ? 'NA' : row.score.toFixed(4), 'num score');
      cell(tr, String(row.length), 'num');
      cell(tr, String(row.frames), 'num');
      cell(tr, String(row.nonAcgt), 'num');
      cell(tr, row.source, 'mono');
      tr.addEventListener('click', () => toggleTrack(tr, row));
      if (row.id === state.open) toggleTrack(tr, row);
    }
    for (const th of table.tHead.rows[0].cells) {
      const sorted = th.dataset.key === state.sort;
      th.setAttribute('aria-sort', sorted ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    shownNote.textContent =
      `${Math.min(chosen.length, state.shown)} shown of ${chosen.length} matching rows` +
      (chosen.length === rows.length ? '' : ` (${rows.length} rows in this report)`);
    more.hidden = chosen.length <= state.shown;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svgElement(name, attributes, parent) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (parent) parent.appendChild(element);
    return element;
  }

  /** Where along the record each frame scored what: one segment per chunk and frame. */
  function trackSvg(row) {
    const width = 900;
    const height = 120;
    const left = 40;
    const plotWidth = width - left - 10;
    const top = 10;
    const plotHeight = 80;
    const x = (position) => left + (position / Math.max(row.length, 1)) * plotWidth;
    const y = (score) => top + (1 - score) * plotHeight;
    const svg = svgElement('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'track' });
    svgElement(
      'rect',
      { x: left, y: top, width: plotWidth, height: plotHeight, fill: '#fff', stroke: '#ccd' },
      svg,
    );
    for (const [score, label] of [
      [1, '1'],
      [0.5, '0.5'],
      [0, '0'],
    ]) {
      const text = svgElement(
        'text',
        { x: left - 4, y: y(score) + 4, 'text-anchor': 'end', 'font-size': 10 },
        svg,
      );
      text.textContent = label;
    }
    svgElement(
      'line',
      { x1: left, x2: left + plotWidth, y1: y(0.5), y2: y(0.5), stroke: '#999', 'stroke-dasharray': '3 3' },
      svg,
    );
    if (data.minScore > 0) {
      svgElement(
        'line',
        {
          x1: left,
          x2: left + plotWidth,
          y1: y(data.minScore),
          y2: y(data.minScore),
          stroke: '#d62728',
          'stroke-dasharray': '5 2',
        },
        svg,
      );
    }
    row.track.forEach(([start, end, frames], k) => {
      if (frames.every((score) => score === null)) {
        const band = svgElement(
          'rect',
          {
            x: x(start),
            y: top,
            width: Math.max(x(end) - x(start), 1),
            height: plotHeight,
            fill: '#9e9e9e',
            opacity: 0.25,
          },
          svg,
        );
        svgElement('title', {}, band).textContent = `chunk ${k + 1} (${start}-${end}): no frame kept`;
      }
      frames.forEach((score, frame) => {
        if (score === null) return;
        const line = svgElement(
          'line',
          {
            x1: x(start),
            x2: x(end),
            y1: y(score),
            y2: y(score),
            stroke: FRAME_COLOURS[frame],
            'stroke-width': 3,
            class: 'frame',
          },
          svg,
        );
        svgElement('title', {}, line).textContent =
          `chunk ${k + 1} (${start}-${end}) ${FRAMES[frame]}: ${score.toFixed(3)}`;
      });
    });
    const axis = svgElement('text', { x: left, y: height - 12, 'font-size': 10 }, svg);
    axis.textContent = `0 nt`;
    const end = svgElement(
      'text',
      { x: left + plotWidth, y: height - 12, 'font-size': 10, 'text-anchor': 'end' },
      svg,
    );
    end.textContent = `${row.length} nt`;
    FRAMES.forEach((name, frame) => {
      const key = svgElement(
        'text',
        { x: left + 120 + frame * 50, y: height - 12, 'font-size': 11, fill: FRAME_COLOURS[frame] },
        svg,
      );
      key.textContent = `\u2014 ${name}`;
    });
    return svg;
  }

  function toggleTrack(tr, row) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains('track')) {
      next.remove();
      return;
    }
    const detail = document.createElement('tr');
    detail.className = 'track';
    const td = detail.insertCell();
    td.colSpan = tr.cells.length;
    if (row.track === null) {
      td.textContent =
        'This record\u2019s track is not in the report (size limit); its frames are in prediction_results.txt.';
    } else {
      const caption = document.createElement('div');
      caption.className = 'note';
      caption.textContent =
        `${row.id}: virus score of each kept frame along the sequence (${data.chunkSize} nt chunks); dashed: 0.5` +
        (data.minScore > 0 ? `, red: --min-score ${data.minScore}` : '');
      td.appendChild(caption);
      td.appendChild(trackSvg(row));
    }
    tr.after(detail);
  }

  for (const th of table.tHead.rows[0].cells) {
    th.addEventListener('click', () => {
      const key = th.dataset.key;
      if (state.sort === key) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
      else {
        state.sort = key;
        state.dir = NUMERIC[key] ? 'desc' : 'asc';
      }
      writeHash();
      render();
    });
  }
  for (const [key, input] of Object.entries(inputs)) {
    input.addEventListener('input', () => {
      state[key] = input.value.trim();
      state.shown = PAGE;
      writeHash();
      render();
    });
  }
  more.addEventListener('click', () => {
    state.shown += PAGE;
    render();
  });
  readHash();
  render();
})();
