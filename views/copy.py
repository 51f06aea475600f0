"""A visible "Copy link" button: the browser's clipboard gets the text, and the button says so.

A tiny component of its own (a code box's copy icon shows only on hover). The text is handed over
as data and written with `navigator.clipboard`; nothing of it is ever put into the page as HTML.
"""

import streamlit as st

JS = """
export default function ({ data, parentElement }) {
  let button = parentElement.querySelector("button");
  if (!button) {
    button = document.createElement("button");
    button.className = "copy-link";
    button.type = "button";
    parentElement.appendChild(button);
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.text);
        button.textContent = "Copied ✓";
      } catch (err) {
        button.textContent = "Select the link and copy it";
      }
      setTimeout(() => { button.textContent = button.dataset.label; }, 2000);
    });
  }
  button.dataset.text = data.text;
  button.dataset.label = data.label;
  button.textContent = data.label;
}
"""
CSS = """
.copy-link { font: inherit; padding: 0.35rem 0.9rem; border-radius: 0.5rem; cursor: pointer;
  border: 1px solid #3b5bdb; background: #3b5bdb; color: white; }
.copy-link:hover { background: #364fc7; }
"""

_button = st.components.v2.component("attention_copy_link", js=JS, css=CSS, isolate_styles=False)


def copy_button(text, key, label="Copy link"):
    """A button that copies `text` to the clipboard."""
    _button(key=key, data={"text": text, "label": label}, height="content")
