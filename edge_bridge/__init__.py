"""SmartShop edge bridge: camera capture, face detection and the on-prem recognition engine."""
