// "Select all on this page": a checkbox with data-select-all="<name>" ticks or clears every
// checkbox of that name, and shows as partly ticked when only some are. Without JavaScript
// it stays hidden and each row's checkbox still works as a plain form field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const master of document.querySelectorAll("input[data-select-all]")) {
    const boxes = () => document.querySelectorAll(
      `input[type=checkbox][name="${master.dataset.selectAll}"]`);
    const reflect = () => {
      const ticked = [...boxes()].filter((box) => box.checked).length;
      master.checked = ticked > 0 && ticked === boxes().length;
      master.indeterminate = ticked > 0 && ticked < boxes().length;
    };
    master.hidden = false;
    master.addEventListener("change", () => {
      for (const box of boxes()) box.checked = master.checked;
    });
    for (const box of boxes()) box.addEventListener("change", reflect);
    reflect();
  }
});
