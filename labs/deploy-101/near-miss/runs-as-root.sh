# Near miss: no User= in the unit, so the app runs as root.
set -eu
cat > /etc/systemd/system/hello-app.service <<'UNIT'
[Service]
EnvironmentFile=/etc/hello-app.env
ExecStart=/usr/bin/python3 /srv/hello-app/app.py
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now hello-app
