"""The page's sections (Streamlit only). Each draws what the packages return; none computes."""
