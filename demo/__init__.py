"""The SmartShop demo: a bridge on a generated clip, its engine, and a real Home Assistant."""
