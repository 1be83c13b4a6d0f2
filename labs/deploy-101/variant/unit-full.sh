# Variant: a fuller unit, enabled and started in two steps.
set -eu
cat > /etc/systemd/system/hello-app.service <<'UNIT'
[Unit]
Description=hello-app, a small web app
After=network.target

[Service]
Type=simple
User=hello
Group=hello
WorkingDirectory=/srv/hello-app
EnvironmentFile=/etc/hello-app.env
ExecStart=/usr/bin/python3 app.py
Restart=always
RestartSec=2

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable hello-app
systemctl start hello-app
