(function () {
  "use strict";
  var script = document.currentScript;
  var lang = (script && script.getAttribute("data-lang")) || "{{ lang|escapejs }}";
  var url = "{{ frame_url|escapejs }}";
  if (lang === "en") { url = url.replace(/^(https?:\/\/[^\/]+)\//, "$1/en/"); }
  var frame = document.createElement("iframe");
  frame.src = url;
  frame.title = lang === "en" ? "{{ title_en|escapejs }}" : "{{ title_lv|escapejs }}";
  frame.style.width = "100%";
  frame.style.border = "0";
  frame.style.minHeight = (script && script.getAttribute("data-height")) || "{{ height|escapejs }}";
  frame.setAttribute("loading", "lazy");
  script.parentNode.insertBefore(frame, script.nextSibling);
})();
