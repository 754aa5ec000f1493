// Term tooltips (the a.term / .term-tip markup of the glossify filter).
// CSS shows a tip on hover and keyboard focus; this script adds:
// - Esc hides the open tip (WCAG 1.4.13) until the pointer leaves or focus moves;
// - on touch screens the first tap on a term opens its tip, a second tap
//   follows the link to the term page, a tap elsewhere closes it;
// - a tip without room above the term opens below it, and one that would
//   leave the screen on the right is aligned to the term's right edge.
(function () {
  "use strict";
  var lastPointer = "mouse";

  function termOf(node) {
    return node && node.closest ? node.closest("a.term") : null;
  }

  function place(term) {
    var tip = term.querySelector(".term-tip");
    if (!tip) { return; }
    term.classList.remove("term-below", "term-right");
    var rect = tip.getBoundingClientRect();
    if (rect.top < 0) { term.classList.add("term-below"); }
    if (rect.right > document.documentElement.clientWidth) { term.classList.add("term-right"); }
  }

  function closeAll(except) {
    var open = document.querySelectorAll("a.term.term-open");
    for (var i = 0; i < open.length; i++) {
      if (open[i] !== except) { open[i].classList.remove("term-open"); }
    }
  }

  document.addEventListener("pointerdown", function (event) {
    lastPointer = event.pointerType || "mouse";
    if (!termOf(event.target)) { closeAll(null); }
  });

  document.addEventListener("click", function (event) {
    var term = termOf(event.target);
    if (!term || lastPointer !== "touch" || term.classList.contains("term-open")) { return; }
    event.preventDefault();
    closeAll(term);
    term.classList.remove("term-dismissed");
    term.classList.add("term-open");
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" && event.key !== "Esc") { return; }
    var shown = document.querySelectorAll("a.term.term-open, a.term:hover, a.term:focus");
    for (var i = 0; i < shown.length; i++) {
      shown[i].classList.remove("term-open");
      shown[i].classList.add("term-dismissed");
    }
  });

  function show(event) {
    var term = termOf(event.target);
    if (term) { place(term); }
  }
  function reset(event) {
    var term = termOf(event.target);
    if (term && !term.contains(event.relatedTarget)) { term.classList.remove("term-dismissed"); }
  }
  document.addEventListener("mouseover", show);
  document.addEventListener("focusin", show);
  document.addEventListener("mouseout", reset);
  document.addEventListener("focusout", reset);
})();
