// 备案工作台: the console's only script (the CSP allows no inline script).
// It draws the dashboard's charts from the stats endpoints, copies answers
// and subjects to the clipboard, asks before irreversible forms, and shows
// the organisation-only fields for organisations.
'use strict';

document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('button.copy').forEach(function (b) {
    b.addEventListener('click', function () {
      var text = b.getAttribute('data-copy') || '';
      var done = function () { var t = b.textContent; b.textContent = '已复制'; setTimeout(function () { b.textContent = t; }, 1500); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
      } else { fallbackCopy(text); done(); }
    });
  });

  document.querySelectorAll('form[data-confirm]').forEach(function (f) {
    f.addEventListener('submit', function (e) {
      if (!window.confirm(f.getAttribute('data-confirm'))) { e.preventDefault(); }
    });
  });

  var kind = document.getElementById('sponsor-kind');
  if (kind) {
    var sync = function () {
      document.querySelectorAll('.org-only').forEach(function (el) { el.hidden = kind.value !== 'organisation'; });
    };
    kind.addEventListener('change', sync);
    sync();
  }

  if (window.echarts) { drawCharts(); }
});

function fallbackCopy(text) {
  var ta = document.createElement('textarea');
  ta.value = text; document.body.appendChild(ta); ta.select();
  try { document.execCommand('copy'); } catch (e) { /* nothing more to try */ }
  document.body.removeChild(ta);
}

var palette = ['#1f6feb', '#b76e00', '#6b3fb8', '#1b7f3b', '#c62828', '#0f8b8d', '#8a6d3b', '#5d7392'];
var seriesNames = { approved: '通过', returned: '退回', cancelled: '注销', cases: '新受理' };

// Tooltips are drawn on the canvas (richText): the HTML tooltip would need
// inline style attributes, which the strict CSP refuses.
function base() {
  return {
    color: palette, animation: false,
    textStyle: { fontFamily: 'Noto Sans CJK SC, sans-serif' },
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    grid: { left: 40, right: 12, top: 30, bottom: 50, containLabel: true }
  };
}

function weekLabel(w) { return w.slice(5); }

var builders = {
  status: function (d) {
    var o = base();
    o.xAxis = { type: 'category', data: d.items.map(function (x) { return x.label; }), axisLabel: { interval: 0, rotate: 30 } };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = [{ type: 'bar', name: '申请数', data: d.items.map(function (x) { return x.n; }) }];
    return o;
  },
  province: function (d) {
    var names = {};
    d.system.concat(d.bureau).forEach(function (x) { names[x.label] = true; });
    var cats = Object.keys(names);
    var get = function (list, c) { var f = list.filter(function (x) { return x.label === c; })[0]; return f ? f.n : 0; };
    var o = base();
    o.legend = { top: 0 };
    o.xAxis = { type: 'category', data: cats, axisLabel: { interval: 0, rotate: 30 } };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = [
      { type: 'bar', name: '系统省份', data: cats.map(function (c) { return get(d.system, c); }) },
      { type: 'bar', name: '审核管局', data: cats.map(function (c) { return get(d.bureau, c); }) }
    ];
    return o;
  },
  decisions: function (d) {
    var o = base();
    o.legend = { top: 0 };
    o.xAxis = { type: 'category', data: d.weeks.map(function (w) { return weekLabel(w.week); }) };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = d.series.map(function (s) {
      return { type: 'bar', stack: 'd', name: seriesNames[s] || s, data: d.weeks.map(function (w) { return w.values[s] || 0; }) };
    });
    o.color = ['#1b7f3b', '#b76e00', '#66788a'];
    return o;
  },
  'bureau-days': function (d) {
    var labels = d.days.map(function (_, i) { return i > d.period ? '>' + d.period : String(i); });
    var o = base();
    o.title = { text: '共 ' + d.total + ' 件 · 中位数 ' + d.median + ' 个工作日 · 超期 ' + d.over_period, textStyle: { fontSize: 12, fontWeight: 'normal' }, left: 0, top: 0 };
    o.xAxis = { type: 'category', name: '工作日', nameLocation: 'middle', nameGap: 28, data: labels };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = [{ type: 'bar', name: '件数', data: d.days.map(function (n, i) {
      return { value: n, itemStyle: { color: i > d.period ? '#c62828' : '#6b3fb8' } };
    }) }];
    return o;
  },
  intake: function (d) {
    var o = base();
    o.xAxis = { type: 'category', data: d.weeks.map(function (w) { return weekLabel(w.week); }) };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = [{ type: 'line', name: '新受理', areaStyle: { opacity: 0.15 }, data: d.weeks.map(function (w) { return w.values.cases || 0; }) }];
    return o;
  },
  'weekly-flow': function (d) {
    var o = base();
    var cats = ['新受理', '提交管局', '管局通过', '管局退回', '超期删除'];
    o.xAxis = { type: 'category', data: cats };
    o.yAxis = { type: 'value', minInterval: 1 };
    o.series = [{ type: 'bar', name: '件数', data: [d.opened, d.submitted, d.approved, d.returned, d.purged] }];
    return o;
  },
  'weekly-turnaround': function (d) {
    var o = base();
    o.xAxis = { type: 'category', data: d.turnaround.map(function (t) { return t.province; }) };
    o.yAxis = { type: 'value', minInterval: 1, name: '工作日' };
    o.series = [
      { type: 'bar', name: '中位数', data: d.turnaround.map(function (t) { return t.median; }) },
      { type: 'bar', name: '最长', data: d.turnaround.map(function (t) { return t.worst; }) }
    ];
    return o;
  },
  'weekly-calls': function (d) {
    var o = base();
    delete o.xAxis; delete o.yAxis; delete o.grid;
    o.tooltip = { trigger: 'item', renderMode: 'richText' };
    o.legend = { bottom: 0 };
    o.series = [{ type: 'pie', radius: ['35%', '65%'], name: '核验电话', data: d.calls.map(function (c) { return { name: c.label, value: c.n }; }) }];
    return o;
  }
};

function drawCharts() {
  var charts = [];
  document.querySelectorAll('.chart[data-chart]').forEach(function (el) {
    var build = builders[el.getAttribute('data-chart')];
    fetch(el.getAttribute('data-src'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (d) {
        var c = window.echarts.init(el, null, { renderer: 'canvas' });
        c.setOption(build(d));
        charts.push(c);
        el.setAttribute('data-ready', 'true');
      })
      .catch(function (e) { el.textContent = '图表数据加载失败（' + e.message + '）'; el.setAttribute('data-ready', 'error'); });
  });
  window.addEventListener('resize', function () { charts.forEach(function (c) { c.resize(); }); });
}
