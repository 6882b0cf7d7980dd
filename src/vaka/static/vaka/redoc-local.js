// Redoc's menu footer draws its maker's logo from the maker's site, which the CSP refuses
// (and which would tell that site who reads these pages). Give it an empty local image
// instead, so the documentation page requests nothing from anywhere but this server.
(() => {
  const remoteLogo = "https://cdn.redoc.ly/redoc/logo-mini.svg";
  const emptyImage = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  const local = (value) => (String(value) === remoteLogo ? emptyImage : value);
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, name === "src" ? local(value) : value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) { src.set.call(this, local(value)); },
  });
})();
