"""The page's tabs, in order: each tab's name (owned by its section's module) and the section drawing it."""

from views import compare, export, lab, playground, pretrained, steps, walkthrough

SECTIONS = {
    module.TAB: module.section
    for module in (steps, lab, playground, compare, pretrained, walkthrough, export)
}
TABS = tuple(SECTIONS)
