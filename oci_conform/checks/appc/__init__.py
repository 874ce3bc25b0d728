"""Pure checks of appc App Container Images (ACI): archive layout and image manifest."""
