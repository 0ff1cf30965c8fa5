"""SmartShop tests."""
