// The console's maps: every element with data-map reads its JSON from <script type="application/json"
// id="<map id>-data"> and draws it with Leaflet. Text from users only ever reaches the page as textContent.
(function () {
  "use strict";
  var COLOURS = { red: "#d7191c", yellow: "#f5c400", blue: "#2b83ba", green: "#1a9641", source: "#7b3294",
                  case: "#111111", zone: "#1f6f43" };

  function textBox(lines) {
    var box = document.createElement("div");
    lines.forEach(function (line, i) {
      var row = document.createElement(i === 0 && line.href ? "a" : "div");
      if (line.href) { row.href = line.href; }
      row.textContent = line.text !== undefined ? line.text : line;
      box.appendChild(row);
    });
    return box;
  }

  function marker(map, point) {
    var options = { radius: point.radius || 7, color: COLOURS[point.colour] || "#333", weight: 2,
                    fillColor: COLOURS[point.colour] || "#333", fillOpacity: 0.8 };
    var mark = L.circleMarker([point.lat, point.lon], options).addTo(map);
    mark.getElement && mark.getElement() && mark.getElement().setAttribute("data-mark", point.kind || "");
    if (point.lines) { mark.bindPopup(textBox(point.lines)); }
    return mark;
  }

  function draw(element) {
    var data = JSON.parse(document.getElementById(element.id + "-data").textContent);
    // A view first: vector layers cannot be drawn on a map that has none.
    var map = L.map(element, { maxZoom: data.base.max_zoom || 18 }).setView(data.centre, 12);
    data.base.layers.forEach(function (layer) {
      L.tileLayer(layer.url, { attribution: layer.attribution, maxZoom: layer.max_zoom,
                               subdomains: layer.subdomains }).addTo(map);
    });
    var bounds = [];
    (data.zones || []).forEach(function (zone) {
      var style = zone.kind === "cell" ? { color: "#e66101", weight: 1, fillColor: "#e66101", fillOpacity: 0.35 }
                                       : { color: COLOURS.zone, weight: 1, fillOpacity: 0.05 };
      var shape = L.geoJSON(zone.geometry, { style: style }).addTo(map);
      if (zone.lines) { shape.bindPopup(textBox(zone.lines)); }
      var box = shape.getBounds();
      if (box.isValid()) { bounds.push(box.getSouthWest(), box.getNorthEast()); }
    });
    (data.points || []).forEach(function (point) {
      marker(map, point);
      bounds.push([point.lat, point.lon]);
    });
    if (data.bounds) {
      map.fitBounds(data.bounds);
    } else if (bounds.length > 1) {
      map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
    } else if (bounds.length === 1) {
      map.setView(bounds[0], 15);
    }
    element.ecogridMap = map;
    element.setAttribute("data-ready", "1");
    if (data.pin) { pin(map, data.pin, element); }
  }

  // The intake form's pin: a click drops it, dragging moves it; the inputs hold the map's datum.
  function pin(map, options, element) {
    var lon = document.getElementById(options.lon), lat = document.getElementById(options.lat);
    var crs = document.getElementById(options.crs);
    var mark = null;
    function place(latlng) {
      if (!mark) {
        mark = L.marker(latlng, { draggable: true, title: "pin" }).addTo(map);
        mark.on("dragend", function () { write(mark.getLatLng()); });
      } else {
        mark.setLatLng(latlng);
      }
      write(latlng);
    }
    function write(latlng) {
      lon.value = latlng.lng.toFixed(6);
      lat.value = latlng.lat.toFixed(6);
      if (crs) { crs.value = options.datum; }
    }
    map.on("click", function (event) { place(event.latlng); });
    if (lon.value && lat.value && (!crs || crs.value === options.datum)) {
      place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
      map.setView(mark.getLatLng(), 15);
    }
    element.ecogridPlace = place;
  }

  document.querySelectorAll("[data-map]").forEach(draw);
})();
