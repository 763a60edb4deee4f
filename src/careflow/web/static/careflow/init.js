// Starts GOV.UK Frontend's components from a static module, so the Content-Security-Policy needs no inline script.
// GOV.UK Frontend's page template adds these classes from an inline script; a browser that runs this module
// supports ES modules, which is GOV.UK Frontend's test for "supported".
import { initAll } from "../govuk/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
