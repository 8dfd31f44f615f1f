// The service points on a map (Leaflet, from npm; tiles from DURVIS_MAP_TILES_URL). The list on
// the page has every point: the map only adds where they are. A marker links to its list entry.
(function () {
  "use strict";
  var element = document.getElementById("point-map");
  var data = document.getElementById("point-map-data");
  if (!element || !data || typeof L === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  if (!points.length) { element.hidden = true; return; }
  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.getAttribute("data-tiles"), {
    maxZoom: 18, attribution: element.getAttribute("data-attribution") || ""
  }).addTo(map);
  var bounds = [];
  points.forEach(function (point) {
    var marker = L.marker([point.lat, point.lon], { title: point.name, alt: point.name }).addTo(map);
    var link = document.createElement("a");
    link.href = "#" + point.id;
    link.textContent = point.name + ", " + point.address;
    marker.bindPopup(link);
    bounds.push([point.lat, point.lon]);
  });
  if (bounds.length === 1) { map.setView(bounds[0], 14); } else { map.fitBounds(bounds, { padding: [20, 20] }); }
})();
