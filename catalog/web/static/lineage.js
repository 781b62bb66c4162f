// Draws the lineage graph embedded in the page (#lineage-data, the answer of
// GET /api/lineage/{domain}/{name}) with cytoscape and the dagre layout.
// The page lists the same graph without JavaScript.
(function () {
  'use strict';
  var box = document.getElementById('lineage-graph');
  var dataEl = document.getElementById('lineage-data');
  if (!box || !dataEl || typeof window.cytoscape !== 'function') {
    return;
  }
  var g;
  try {
    g = JSON.parse(dataEl.textContent);
  } catch (e) {
    box.textContent = 'The lineage data could not be read: ' + e;
    return;
  }

  var family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var ctx = document.createElement('canvas').getContext('2d');
  function textWidth(label, bold) {
    ctx.font = (bold ? 'bold ' : '') + '13px ' + family;
    return label.split('\n').reduce(function (w, line) {
      return Math.max(w, ctx.measureText(line).width);
    }, 0);
  }

  var elements = [];
  (g.nodes || []).forEach(function (n) {
    var label = n.kind === 'source' ? n.source + '\n' + n.connector + ' source' : n.id;
    if (n.kind === 'product' && n.version) {
      label += '\n' + n.version + (n.owner && n.owner.team ? ' · ' + n.owner.team : '');
    }
    var classes = [n.kind];
    if (n.id === g.root) classes.push('root');
    if (n.status === 'unavailable') classes.push('down');
    var lines = label.split('\n').length;
    elements.push({
      group: 'nodes',
      data: {
        id: n.id, label: label, kind: n.kind, domain: n.domain || '', name: n.name || '',
        w: Math.ceil(textWidth(label, n.id === g.root)) + 24, h: lines * 17 + 14
      },
      classes: classes.join(' ')
    });
  });
  (g.edges || []).forEach(function (e, i) {
    elements.push({
      group: 'edges',
      data: { id: 'e' + i, source: e.from, target: e.to, label: (e.ranges || []).join(', ') },
      classes: e.kind === 'product' ? 'product' : 'source'
    });
  });

  var cy = window.cytoscape({
    container: box,
    elements: elements,
    minZoom: 0.2,
    maxZoom: 2.5,
    boxSelectionEnabled: false,
    autoungrabify: true,
    style: [
      { selector: 'node', style: {
        'shape': 'round-rectangle', 'width': 'data(w)', 'height': 'data(h)',
        'label': 'data(label)', 'text-wrap': 'wrap', 'text-valign': 'center', 'text-halign': 'center',
        'font-family': 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', 'font-size': 13,
        'color': '#1d2939', 'background-color': '#e8f0fe', 'border-width': 1, 'border-color': '#8fb0e8'
      } },
      { selector: 'node.source', style: {
        'shape': 'barrel', 'background-color': '#f2f4f7', 'border-color': '#98a2b3', 'color': '#475467'
      } },
      { selector: 'node.unknown', style: {
        'background-color': '#fffaeb', 'border-color': '#dc6803', 'border-style': 'dashed'
      } },
      { selector: 'node.down', style: { 'border-color': '#d92d20', 'border-width': 2 } },
      { selector: 'node.root', style: {
        'background-color': '#1f4fbf', 'border-color': '#163a8c', 'color': '#ffffff', 'font-weight': 'bold'
      } },
      { selector: 'edge', style: {
        'width': 1.5, 'curve-style': 'bezier', 'line-color': '#98a2b3',
        'target-arrow-shape': 'triangle', 'target-arrow-color': '#98a2b3', 'arrow-scale': 1.1,
        'label': 'data(label)', 'font-size': 11, 'color': '#667085',
        'text-background-color': '#ffffff', 'text-background-opacity': 1, 'text-background-padding': 2
      } },
      { selector: 'edge.source', style: { 'line-style': 'dashed' } }
    ],
    layout: { name: 'dagre', rankDir: 'LR', nodeSep: 20, rankSep: 70, edgeSep: 10, fit: false }
  });

  // Size the box to the graph: readable text (zoom at most 1.25), no
  // empty band above and below a flat graph, at most 75% of the window.
  var pad = 20;
  var bb = cy.elements().boundingBox();
  var zoom = Math.min(1.25, (box.clientWidth - 2 * pad) / Math.max(bb.w, 1));
  var height = Math.max(220, Math.min(bb.h * zoom + 2 * pad, window.innerHeight * 0.75));
  box.style.height = height + 'px';
  cy.resize();
  cy.fit(undefined, pad);
  if (cy.zoom() > 1.25) {
    cy.zoom(1.25);
    cy.center();
  }

  cy.on('mouseover', 'node.product, node.unknown', function () { box.style.cursor = 'pointer'; });
  cy.on('mouseout', 'node', function () { box.style.cursor = ''; });
  cy.on('tap', 'node', function (evt) {
    var d = evt.target.data();
    if (d.kind !== 'source' && d.domain && d.name && d.id !== g.root) {
      window.location.href = '/lineage/' + encodeURIComponent(d.domain) + '/' + encodeURIComponent(d.name);
    }
  });

  window.lineageGraph = cy; // for the browser tests and the curious
  box.setAttribute('data-nodes', String(cy.nodes().length));
  box.setAttribute('data-edges', String(cy.edges().length));
  box.setAttribute('data-rendered', 'true');
})();
