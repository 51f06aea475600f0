"""The page's tabs, in order, each declared by its own module, and the other parts that own link keys.

A new tab is one module that ends with `TAB = Tab(title, section, sidebar=..., link=LinkKeys(...))`
and one line here; its state in the link is then read and written with everything else.
"""

from views import compare, export, inside, lab, lesson, playground, pretrained, source, steps, walkthrough

TABS = tuple(m.TAB for m in (steps, lab, playground, compare, pretrained, inside, walkthrough, export))
LINKS = (
    lesson.LINK,
    source.LINK,
)  # parts outside the tabs with keys of their own: the lesson's step, the source
